import CFinMon
import Glibc

/// finmon_last_error's storage: one malloc'd message per thread, replaced on each failure.
enum LastError {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { pointer in free(pointer) }
        return key
    }()

    nonisolated(unsafe) private static let empty: UnsafePointer<CChar> = {
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: 1)
        buffer.initialize(to: 0)
        return UnsafePointer(buffer)
    }()

    static func set(_ message: String) {
        let previous = pthread_getspecific(key)
        let copy = message.withCString { strdup($0) }
        pthread_setspecific(key, copy)
        free(previous)
    }

    static var pointer: UnsafePointer<CChar> {
        guard let raw = pthread_getspecific(key) else { return empty }
        return UnsafePointer(raw.assumingMemoryBound(to: CChar.self))
    }
}

/// Runs one ABI call: its errors become a status code and the thread's last error.
@inline(__always)
func abiCall(_ body: () throws -> finmon_status) -> Int32 {
    do {
        return try body().rawValue
    } catch {
        LastError.set((error as? ABIError)?.message ?? "\(error)")
        return finmon_status(for: error).rawValue
    }
}
