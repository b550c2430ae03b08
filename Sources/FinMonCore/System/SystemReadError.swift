#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A /proc, /sys or statvfs read that did not yield usable numbers.
///
/// Readers throw this instead of trapping: the library runs inside the user's
/// Python process, and a malformed kernel file must cost one metric, not the host.
public struct SystemReadError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: Equatable, Sendable {
        /// open(2) or opendir(3) failed; ENOENT/EACCES usually mean the file
        /// does not exist on this kernel or in this container.
        case cannotOpen(errno: Int32)
        case readFailed(errno: Int32)
        /// The file is bigger than the reader's cap; /proc files we read are
        /// a few KiB, so this means we are pointed at the wrong thing.
        case tooLarge(limit: Int)
        case missingField(String)
        case malformed(String)
        /// A number that does not fit in 64 bits, or overflows once scaled to bytes.
        case numberOutOfRange(String)
        case statvfsFailed(errno: Int32)
    }

    public let path: String
    public let reason: Reason

    public init(path: String, reason: Reason) {
        self.path = path
        self.reason = reason
    }

    public var description: String {
        switch reason {
        case .cannotOpen(let code):
            return "\(path): cannot open: \(SystemReadError.describe(errno: code))"
        case .readFailed(let code):
            return "\(path): read failed: \(SystemReadError.describe(errno: code))"
        case .tooLarge(let limit):
            return "\(path): larger than \(limit) bytes"
        case .missingField(let name):
            return "\(path): missing field \(name)"
        case .malformed(let detail):
            return "\(path): malformed: \(detail)"
        case .numberOutOfRange(let detail):
            return "\(path): number out of range: \(detail)"
        case .statvfsFailed(let code):
            return "\(path): statvfs failed: \(SystemReadError.describe(errno: code))"
        }
    }

    static func describe(errno code: Int32) -> String {
        guard let message = strerror(code) else { return "errno \(code)" }
        return "\(String(cString: message)) (errno \(code))"
    }
}
