/// A failed write to the alert log, with the OS's reason.
public struct AlertLogError: Error, Sendable, Equatable, CustomStringConvertible {
    public let path: String
    /// What was being done: "open", "write", "fsync".
    public let operation: String
    public let errno: Int32
    public let reason: String

    public init(path: String, operation: String, errno: Int32, reason: String) {
        self.path = path
        self.operation = operation
        self.errno = errno
        self.reason = reason
    }

    public var description: String {
        "alert log \(path): \(operation) failed: \(reason) (errno \(errno))"
    }
}
