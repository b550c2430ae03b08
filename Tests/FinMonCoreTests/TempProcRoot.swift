import Glibc

/// A writable proc root for one test: links to a committed fixture's files, plus files the
/// test writes, breaks and mends, or FIFOs whose reads block until the test writes to them.
final class TempProcRoot {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    let path: String
    /// Everything created, removed in reverse order.
    private var created: [String] = []

    init() throws {
        let base = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array("\(base)/finmon-proc-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ $0.baseAddress.flatMap { mkdtemp($0) } }) else {
            throw Failure(description: "mkdtemp failed: errno \(errno)")
        }
        path = String(cString: made)
    }

    deinit {
        for entry in created.reversed() where unlink(entry) != 0 { rmdir(entry) }
        rmdir(path)
    }

    /// `<root>/<name>` -> `<fixture root>/<target>` (the same name when target is nil).
    func link(_ name: String, fixture: String, target: String? = nil) throws {
        let source = ProcFixture.root(fixture) + "/" + (target ?? name)
        guard symlink(source, path + "/" + name) == 0 else { throw Failure(description: "symlink \(name): errno \(errno)") }
        created.append(path + "/" + name)
    }

    func directory(_ name: String) throws {
        guard mkdir(path + "/" + name, 0o755) == 0 else { throw Failure(description: "mkdir \(name): errno \(errno)") }
        created.append(path + "/" + name)
    }

    func write(_ name: String, _ text: String) throws {
        let full = path + "/" + name
        let fd = open(full, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw Failure(description: "open \(name): errno \(errno)") }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw Failure(description: "short write to \(name)") }
        if !created.contains(full) { created.append(full) }
    }

    func fifo(_ name: String) throws {
        guard mkfifo(path + "/" + name, 0o644) == 0 else { throw Failure(description: "mkfifo \(name): errno \(errno)") }
        created.append(path + "/" + name)
    }

    /// Hands `text` to the reader blocked opening the FIFO `name`, waiting (up to a
    /// deadline) for one to arrive: opening for writing with O_NONBLOCK fails with ENXIO
    /// until a reader is there, where a blocking open would hang the test instead.
    func feed(_ name: String, _ text: String) throws {
        var fd: Int32 = -1
        Deadline.wait(seconds: 10) {
            fd = open(path + "/" + name, O_WRONLY | O_NONBLOCK)
            return fd >= 0
        }
        guard fd >= 0 else { throw Failure(description: "no reader on \(name): errno \(errno)") }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
    }

    /// The committed fixture's text of `name`, to write back after breaking it.
    static func fixtureText(_ fixture: String, _ name: String) throws -> String {
        let full = ProcFixture.root(fixture) + "/" + name
        let fd = open(full, O_RDONLY)
        guard fd >= 0 else { throw Failure(description: "open \(full): errno \(errno)") }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            bytes.append(contentsOf: chunk[..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
