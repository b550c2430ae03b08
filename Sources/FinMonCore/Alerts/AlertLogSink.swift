#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Appends alert events to a JSON-lines file, whole lines only.
///
/// Each event is one `write` of one line to a descriptor opened with O_APPEND, so lines
/// of two appenders never interleave. A write the disk cannot finish (ENOSPC, EIO) is cut
/// back to where it started, and a partial last line found at open (a crash mid-write, or
/// a cut that itself failed) is removed before anything is appended, so a later record
/// never lands on the end of a broken one.
///
/// The file is opened per call rather than held open: alerts are rare, and reopening
/// follows log rotation (a renamed or deleted file is recreated) with no descriptor to keep.
///
///     let log = AlertLogSink(path: "/var/log/finmon/alerts.jsonl")
///     try log.append([event])
public struct AlertLogSink: Sendable {
    public let path: String
    /// fsync after each append: survives a power cut, at the cost of a disk flush per event.
    public let syncsEachWrite: Bool

    public init(path: String, syncsEachWrite: Bool = false) {
        self.path = path
        self.syncsEachWrite = syncsEachWrite
    }

    /// What an append did besides appending.
    public struct Outcome: Sendable, Equatable {
        /// Bytes of a partial last line removed before appending (0 when the file ended in a newline).
        public var repairedBytes: Int = 0
    }

    @discardableResult
    public func append(_ event: AlertEvent) throws(AlertLogError) -> Outcome {
        try append([event])
    }

    /// Writes nothing, and does not create the file, for an empty list. On a failure the
    /// events before the failing one are in the file, whole, and the failing one is not.
    @discardableResult
    public func append(_ events: [AlertEvent]) throws(AlertLogError) -> Outcome {
        guard !events.isEmpty else { return Outcome() }
        // O_RDWR: the tail is read to find a partial line.
        let fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure("open") }
        defer { close(fd) }
        var outcome = Outcome()
        outcome.repairedBytes = try repairTail(fd)
        for event in events {
            try appendLine(Array((event.jsonLine() + "\n").utf8), fd)
        }
        if syncsEachWrite, fsync(fd) != 0 { throw failure("fsync") }
        return outcome
    }

    /// Removes a partial last line of an existing log (nothing is created); returns the
    /// bytes removed. Called when the log is configured, so a crash's leftover is gone
    /// before the first alert.
    @discardableResult
    public func repair() throws(AlertLogError) -> Int {
        let fd = open(path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return 0 }
            throw failure("open")
        }
        defer { close(fd) }
        return try repairTail(fd)
    }

    /// One line, one write; a write cut short is undone so the file ends in a newline again.
    private func appendLine(_ line: [UInt8], _ fd: Int32) throws(AlertLogError) {
        let start = try size(fd)
        var rest = line[...]
        while !rest.isEmpty {
            let written = rest.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            if written <= 0 {
                // A zero-byte write of a non-empty buffer would otherwise loop forever.
                let error = written == 0
                    ? AlertLogError(path: path, operation: "write", errno: EIO, reason: "wrote nothing")
                    : failure("write")
                // Shrinking needs no free space; if even this fails, the next open repairs it.
                _ = ftruncate(fd, off_t(start))
                throw error
            }
            rest = rest.dropFirst(written)
        }
    }

    /// Cuts the file back to its last newline; returns the bytes removed.
    private func repairTail(_ fd: Int32) throws(AlertLogError) -> Int {
        let end = try size(fd)
        guard end > 0 else { return 0 }
        var buffer = [UInt8](repeating: 0, count: 4096)
        var position = end
        while position > 0 {
            let chunk = min(position, buffer.count)
            let read = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, chunk, off_t(position - chunk)) }
            guard read == chunk else { throw failure("read") }
            if let newline = buffer[0..<chunk].lastIndex(of: UInt8(ascii: "\n")) {
                let keep = position - chunk + newline + 1
                if keep == end { return 0 }
                guard ftruncate(fd, off_t(keep)) == 0 else { throw failure("truncate") }
                return end - keep
            }
            position -= chunk
        }
        guard ftruncate(fd, 0) == 0 else { throw failure("truncate") }
        return end
    }

    private func size(_ fd: Int32) throws(AlertLogError) -> Int {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw failure("stat") }
        return Int(info.st_size)
    }

    private func failure(_ operation: String) -> AlertLogError {
        let code = errno
        return AlertLogError(path: path, operation: operation, errno: code, reason: String(cString: strerror(code)))
    }
}
