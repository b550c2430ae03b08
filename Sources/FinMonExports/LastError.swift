import CFinMon
import FinMonCore
import Glibc

/// finmon_error_last's storage: one malloc'd finmon_error per thread (with its strings),
/// replaced on each failure, as libgit2 keeps its git_error.
enum LastError {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { pointer in
            if let pointer { LastError.release(pointer.assumingMemoryBound(to: finmon_error.self)) }
        }
        return key
    }()

    /// What a thread that never failed reads: FINMON_OK, "" and no location.
    nonisolated(unsafe) private static let none: UnsafeMutablePointer<finmon_error> = {
        let empty = UnsafeMutablePointer<CChar>.allocate(capacity: 1)
        empty.initialize(to: 0)
        let error = UnsafeMutablePointer<finmon_error>.allocate(capacity: 1)
        error.initialize(to: finmon_error(
            status: FINMON_OK.rawValue, message: UnsafePointer(empty), file: nil, line: 0, column: 0, key_path: nil,
            reason: nil))
        return error
    }()

    /// Records a failure: its status and message, and where a config error points.
    static func set(_ status: finmon_status, _ message: String, config: ConfigError? = nil) {
        guard let raw = malloc(MemoryLayout<finmon_error>.stride) else { return }
        let error = raw.bindMemory(to: finmon_error.self, capacity: 1)
        error.initialize(to: finmon_error(
            status: status.rawValue, message: UnsafePointer(copy(message) ?? copy("")),
            file: config.flatMap { UnsafePointer(copy($0.file)) },
            line: Int32(clamping: config?.line ?? 0), column: Int32(clamping: config?.column ?? 0),
            key_path: config.flatMap { $0.keyPath.isEmpty ? nil : UnsafePointer(copy($0.keyPath)) },
            reason: config.flatMap { UnsafePointer(copy($0.message)) }))
        let previous = pthread_getspecific(key)
        pthread_setspecific(key, raw)
        if let previous { release(previous.assumingMemoryBound(to: finmon_error.self)) }
    }

    static var current: UnsafePointer<finmon_error> {
        guard let raw = pthread_getspecific(key) else { return UnsafePointer(none) }
        return UnsafePointer(raw.assumingMemoryBound(to: finmon_error.self))
    }

    private static func copy(_ text: String) -> UnsafeMutablePointer<CChar>? {
        text.withCString { strdup($0) }
    }

    private static func release(_ error: UnsafeMutablePointer<finmon_error>) {
        free(UnsafeMutableRawPointer(mutating: error.pointee.message))
        free(UnsafeMutableRawPointer(mutating: error.pointee.file))
        free(UnsafeMutableRawPointer(mutating: error.pointee.key_path))
        free(UnsafeMutableRawPointer(mutating: error.pointee.reason))
        free(error)
    }
}

/// Runs one ABI call: its errors become a status code and the thread's last error.
@inline(__always)
func abiCall(_ body: () throws -> finmon_status) -> Int32 {
    do {
        return try body().rawValue
    } catch {
        let status = finmon_status(for: error)
        LastError.set(status, (error as? ABIError)?.message ?? "\(error)", config: error as? ConfigError)
        return status.rawValue
    }
}
