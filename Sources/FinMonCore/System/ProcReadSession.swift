#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One tick's reads through `ProcDescriptors`: kept-open descriptors read with `pread` at
/// offset 0 into a buffer reused from tick to tick. A session made without descriptors
/// (`files == nil`) reads the plain way, open/read/close, as `ProcFile` does.
///
///     var session = ProcReadSession(files: nil)
///     let text = try session.readText("/proc/stat")
///     let first = try session.withBytes("/proc/meminfo") { $0.first }
struct ProcReadSession {
    /// nil: every read opens and closes its file.
    let files: ProcDescriptors?
    var entries: [String: Entry] = [:]
    var buffer: [UInt8] = []
    /// This session's number: entries stamped with an older one were not read in it, and
    /// their descriptors are closed when it is returned (a cgroup path that changed).
    var stamp: UInt64

    struct Entry: Sendable {
        /// -1: not a pseudo-file (a fixture root); read afresh every time.
        var fd: Int32
        var stamp: UInt64
        /// A kept-open directory's stream (`fd` is its descriptor), rewound each read.
        var directory: DirectoryStream? = nil
    }

    /// A `DIR *`, used by one session at a time (checked out with the descriptors).
    struct DirectoryStream: @unchecked Sendable {
        let pointer: OpaquePointer
    }

    /// The process the descriptors were checked out to.
    let pid: pid_t
    /// No descriptor was open at checkout (the first tick, or after `closeAll` or a fork):
    /// the sampler re-reads its cached settings then, too.
    var isFresh = false

    init(files: ProcDescriptors?, stamp: UInt64 = 0, pid: pid_t = 0) {
        self.files = files
        self.stamp = stamp
        self.pid = pid
    }

    mutating func readText(_ path: String, limit: Int = ProcFile.defaultLimit) throws(SystemReadError) -> String {
        let count = try read(path, limit: limit)
        return String(decoding: buffer[0..<count], as: UTF8.self)
    }

    /// The file's bytes, parsed in place: `body` sees the session's reused buffer (valid only
    /// during the call), so a tick parses without a String or array per file.
    mutating func withBytes<T>(
        _ path: String, limit: Int = ProcFile.defaultLimit,
        _ body: (UnsafeBufferPointer<UInt8>) throws(SystemReadError) -> T
    ) throws(SystemReadError) -> T {
        let count = try read(path, limit: limit)
        // Swift's withUnsafeBufferPointer rethrows untyped; carry the typed error out by hand.
        var failure: SystemReadError?
        let result: T? = buffer.withUnsafeBufferPointer { all in
            do throws(SystemReadError) {
                return try body(UnsafeBufferPointer(rebasing: all[0..<count]))
            } catch {
                failure = error
                return nil
            }
        }
        if let failure { throw failure }
        return result!
    }

    /// Marks every kept-open file as still wanted although this tick may not read it (the
    /// sampler re-reads settings only every few ticks), so `finish` closes none of them.
    mutating func retainAll() {
        var index = entries.values.startIndex
        while index != entries.values.endIndex {
            entries.values[index].stamp = stamp
            entries.values.formIndex(after: &index)
        }
    }

    /// The whole file into `buffer`, its length.
    private mutating func read(_ path: String, limit: Int) throws(SystemReadError) -> Int {
        guard let files else { return try readPlain(path, limit: limit) }
        if let fd = entries[path]?.fd {
            entries[path]?.stamp = stamp
            if fd < 0 { return try readPlain(path, limit: limit) }
            if let count = preadAll(fd, limit: limit) { return count }
            // The descriptor went bad (the cgroup was removed, say): open the path once more.
            files.close(fd)
            entries[path] = nil
        }
        let fd = try Self.open(path)
        guard Self.isGeneratedOnRead(fd) else {
            // Read what is open (a FIFO's writer comes once), then close it.
            defer { _ = Glibc.close(fd) }
            entries[path] = Entry(fd: -1, stamp: stamp)
            return try copy(ProcFile.read(fd: fd, path: path, limit: limit))
        }
        files.register(fd)
        guard let count = preadAll(fd, limit: limit) else {
            let error = errno
            files.close(fd)
            if error == EFBIG { throw SystemReadError(path: path, reason: .tooLarge(limit: limit)) }
            throw SystemReadError(path: path, reason: .readFailed(errno: error))
        }
        if count == 0 {
            // An empty regular file, not a generated one: nothing to keep open.
            files.close(fd)
        } else {
            entries[path] = Entry(fd: fd, stamp: stamp)
        }
        return count
    }

    private mutating func readPlain(_ path: String, limit: Int) throws(SystemReadError) -> Int {
        try copy(ProcFile.read(path, limit: limit))
    }

    private mutating func copy(_ bytes: [UInt8]) -> Int {
        if buffer.count < bytes.count { buffer = [UInt8](repeating: 0, count: bytes.count) }
        buffer.withUnsafeMutableBufferPointer { target in
            _ = target.initialize(fromContentsOf: bytes)
        }
        return bytes.count
    }

    /// Entries of a directory other than "." and ".." (see `ProcFile.countEntries`). A
    /// directory under /proc (this process's fd/) stays open between ticks and is rewound
    /// with rewinddir; any other (a test's fixture root) is opened and closed each time, as
    /// a kept-open directory on a disk could be replaced. The kept stream's own descriptor
    /// is one of those counted, as opendir's is on the plain way.
    mutating func countEntries(directory path: String) throws(SystemReadError) -> Int {
        guard let files, path.utf8.starts(with: "/proc/".utf8) else {
            return try ProcFile.countEntries(directory: path)
        }
        if let entry = entries[path], let directory = entry.directory?.pointer {
            entries[path]?.stamp = stamp
            rewinddir(directory)
            if let count = try? ProcFile.countEntries(directory, path: path) { return count }
            files.close(entry)
            entries[path] = nil
        }
        guard let directory = opendir(path) else {
            throw SystemReadError(path: path, reason: .cannotOpen(errno: errno))
        }
        let entry = Entry(fd: dirfd(directory), stamp: stamp, directory: DirectoryStream(pointer: directory))
        files.register(entry.fd)
        do throws(SystemReadError) {
            let count = try ProcFile.countEntries(directory, path: path)
            entries[path] = entry
            return count
        } catch {
            files.close(entry)
            throw error
        }
    }

    /// The whole file from offset 0 into `buffer`, its length; nil with errno set on failure
    /// (EFBIG past `limit`). Reads until pread returns 0: a short read of a seq_file is
    /// not proof of EOF.
    private mutating func preadAll(_ fd: Int32, limit: Int) -> Int? {
        if buffer.isEmpty { buffer = [UInt8](repeating: 0, count: ProcDescriptors.initialCapacity) }
        var total = 0
        while true {
            if total == buffer.count {
                buffer.append(contentsOf: repeatElement(0, count: buffer.count))
            }
            let count = buffer.withUnsafeMutableBytes { bytes in
                pread(fd, bytes.baseAddress! + total, bytes.count - total, off_t(total))
            }
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if count == 0 { break }
            total += count
            if total > limit {
                errno = EFBIG
                return nil
            }
        }
        return total
    }

    private static func open(_ path: String) throws(SystemReadError) -> Int32 {
        var fd: Int32 = -1
        repeat {
            fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        } while fd < 0 && errno == EINTR
        guard fd >= 0 else { throw SystemReadError(path: path, reason: .cannotOpen(errno: errno)) }
        return fd
    }

    /// A regular file of size 0 is a candidate (procfs and cgroupfs report 0); the read
    /// that follows keeps it only if it returns bytes, which an ordinary empty file cannot.
    private static func isGeneratedOnRead(_ fd: Int32) -> Bool {
        var info = stat()
        guard fstat(fd, &info) == 0 else { return false }
        return info.st_mode & S_IFMT == S_IFREG && info.st_size == 0
    }
}
