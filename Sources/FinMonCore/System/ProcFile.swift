#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Raw reads of kernel pseudo-files with open/read (no Foundation).
///
/// /proc files report st_size 0, so the only correct way is to read until EOF;
/// the cap keeps a mistaken root path (a huge regular file) from eating memory.
enum ProcFile {
    static let defaultLimit = 1 << 20

    static func read(_ path: String, limit: Int = defaultLimit) throws(SystemReadError) -> [UInt8] {
        var fd: Int32 = -1
        repeat {
            fd = open(path, O_RDONLY | O_CLOEXEC)
        } while fd < 0 && errno == EINTR
        guard fd >= 0 else {
            throw SystemReadError(path: path, reason: .cannotOpen(errno: errno))
        }
        defer { _ = close(fd) }
        return try read(fd: fd, path: path, limit: limit)
    }

    /// Reads an open descriptor from where it stands to EOF; the caller closes it.
    static func read(fd: Int32, path: String, limit: Int = defaultLimit) throws(SystemReadError) -> [UInt8] {
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 8192)
        while true {
            let count = chunk.withUnsafeMutableBytes { buffer in
                readFD(fd, buffer.baseAddress, buffer.count)
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw SystemReadError(path: path, reason: .readFailed(errno: errno))
            }
            if count == 0 { break }
            guard result.count <= limit - count else {
                throw SystemReadError(path: path, reason: .tooLarge(limit: limit))
            }
            result.append(contentsOf: chunk[0..<count])
        }
        return result
    }

    /// Invalid UTF-8 becomes U+FFFD, which then fails number parsing with a clear message.
    static func readText(_ path: String, limit: Int = defaultLimit) throws(SystemReadError) -> String {
        String(decoding: try read(path, limit: limit), as: UTF8.self)
    }

    static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    /// Entries other than "." and ".."; for /proc/<pid>/fd this includes the
    /// descriptor opendir itself holds, exactly as Python's os.listdir counts it
    /// in prometheus_client's process collector.
    static func countEntries(directory path: String) throws(SystemReadError) -> Int {
        guard let dir = opendir(path) else {
            throw SystemReadError(path: path, reason: .cannotOpen(errno: errno))
        }
        defer { _ = closedir(dir) }
        return try countEntries(dir, path: path)
    }

    /// The same over an open stream, from where it stands to its end.
    static func countEntries(_ dir: OpaquePointer, path: String) throws(SystemReadError) -> Int {
        var count = 0
        while true {
            errno = 0
            guard let entry = readdir(dir) else {
                if errno != 0 {
                    throw SystemReadError(path: path, reason: .readFailed(errno: errno))
                }
                return count
            }
            let name = entry.pointee.d_name
            let dot = CChar(UInt8(ascii: "."))
            let isDot = name.0 == dot && name.1 == 0
            let isDotDot = name.0 == dot && name.1 == dot && name.2 == 0
            if !isDot && !isDotDot {
                count &+= 1
            }
        }
    }
}

// A free function because `ProcFile.read` shadows the C function inside the enum.
private func readFD(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.read(fd, buffer, count)
    #else
    return Musl.read(fd, buffer, count)
    #endif
}
