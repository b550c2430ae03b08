#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Appends alert events to a JSON-lines file.
///
/// The file is opened per call with O_APPEND rather than held open: alerts are rare,
/// and reopening follows log rotation (a renamed or deleted file is recreated) with no
/// file descriptor to manage. Each call writes its lines with one `write`, which
/// O_APPEND makes atomic with respect to other appenders for lines of normal size.
public struct AlertLogSink: Sendable {
    public let path: String
    /// fsync after each append: survives a power cut, at the cost of a disk flush per event.
    public let syncsEachWrite: Bool

    public init(path: String, syncsEachWrite: Bool = false) {
        self.path = path
        self.syncsEachWrite = syncsEachWrite
    }

    public func append(_ event: AlertEvent) throws(AlertLogError) {
        try append([event])
    }

    /// Writes nothing, and does not create the file, for an empty list.
    public func append(_ events: [AlertEvent]) throws(AlertLogError) {
        guard !events.isEmpty else { return }
        var text = ""
        for event in events {
            text += event.jsonLine()
            text += "\n"
        }
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure("open") }
        defer { close(fd) }
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw failure("write")
            }
            // A zero-byte write of a non-empty buffer would otherwise loop forever.
            if written == 0 { throw AlertLogError(path: path, operation: "write", errno: EIO, reason: "wrote nothing") }
            bytes = bytes.dropFirst(written)
        }
        if syncsEachWrite, fsync(fd) != 0 { throw failure("fsync") }
    }

    private func failure(_ operation: String) -> AlertLogError {
        let code = errno
        return AlertLogError(path: path, operation: operation, errno: code, reason: String(cString: strerror(code)))
    }
}
