#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

/// Descriptors of kernel pseudo-files kept open from one sampling tick to the next and read
/// with `pread` at offset 0, so a tick does not pay open(2) (a path walk through /proc) and
/// close(2) per file, nor a fresh read buffer.
///
/// Only files the kernel generates on read are kept open: regular files whose size reads
/// 0 yet whose read returns bytes, as every file of procfs and cgroupfs does. The kernel
/// regenerates them on each read at offset 0 and never replaces them by rename. Anything
/// else (a test's fixture root, a FIFO) is opened, read and closed each time as before,
/// because a kept-open descriptor would go on reading a replaced file's old inode.
///
/// Directories under /proc (the process's fd/) are kept open the same way, as a `DIR`
/// stream rewound before each count.
///
/// A descriptor that fails to read is closed and its path opened once more. In a forked
/// child every descriptor is closed and reopened at first use: `/proc/self/...` opened by
/// the parent still names the parent. All are `O_CLOEXEC`.
///
/// The descriptors are checked out for a tick (`session()`), so no lock is held during
/// the reads; a second reader meanwhile (`sampleNow` beside a tick) gets an uncached
/// session that opens and closes its files.
///
///     let files = ProcDescriptors()
///     var session = files.session()
///     let text = try session.readText("/proc/meminfo")
///     files.finish(session)
final class ProcDescriptors: Sendable {
    struct State {
        /// Path -> descriptor (-1: not a pseudo-file, read the plain way).
        var entries: [String: ProcReadSession.Entry] = [:]
        var stamp: UInt64 = 0
        /// The process that opened them.
        var owner: pid_t = 0
        var busy = false
        var closeWhenReturned = false
        /// Every descriptor open now, checked out or not, so a forked child can close them all.
        var open: [Int32] = []
        var buffer: [UInt8] = []
    }

    private let state = Mutex(State())

    /// The first read's capacity; a larger file grows it once and it stays grown.
    static let initialCapacity = 16 * 1024

    init() {}

    deinit {
        state.withLock { state in
            if state.owner == getpid() { Self.closeAll(&state) }
        }
    }

    /// The descriptors for one tick, or an uncached session if another reader has them.
    /// - Parameter me: this process's id (a test passes another to play a forked child).
    func session(pid me: pid_t = getpid()) -> ProcReadSession {
        state.withLock { state in
            Self.adopt(&state, pid: me)
            guard !state.busy else { return ProcReadSession(files: nil) }
            state.busy = true
            state.stamp &+= 1
            var session = ProcReadSession(files: self, stamp: state.stamp, pid: me)
            session.isFresh = state.entries.isEmpty
            swap(&session.entries, &state.entries)
            swap(&session.buffer, &state.buffer)
            return session
        }
    }

    /// Checks a session's descriptors back in; those it did not use are closed (a cgroup
    /// path that changed, a source disabled).
    func finish(_ session: ProcReadSession) {
        guard session.files === self else { return }
        var session = session
        state.withLock { state in
            guard state.owner == session.pid, state.busy else { return }
            state.busy = false
            // Only when something went unread: filtering builds a new dictionary.
            if session.entries.values.contains(where: { $0.stamp != session.stamp }) {
                for (_, entry) in session.entries where entry.stamp != session.stamp && entry.fd >= 0 {
                    Self.close(entry, &state)
                }
                session.entries = session.entries.filter { $0.value.stamp == session.stamp }
            }
            swap(&state.entries, &session.entries)
            swap(&state.buffer, &session.buffer)
            if state.closeWhenReturned {
                state.closeWhenReturned = false
                Self.closeAll(&state)
            }
        }
    }

    /// Closes every descriptor now, or when the session out for a read comes back.
    func closeAll() {
        state.withLock { state in
            guard state.owner == getpid() else { return }
            if state.busy {
                state.closeWhenReturned = true
            } else {
                Self.closeAll(&state)
            }
        }
    }

    /// Called by a session as it opens and closes, so a forked child knows every descriptor.
    func register(_ fd: Int32) {
        state.withLock { $0.open.append(fd) }
    }

    func close(_ fd: Int32) {
        state.withLock { state in Self.close(fd, &state) }
    }

    /// The descriptors open now, for tests.
    var openDescriptors: [Int32] { state.withLock { $0.open } }

    /// In a forked child: closes the parent's descriptors (inherited copies that still name
    /// the parent's /proc entries) and forgets a session the parent had out.
    func resetAfterFork() {
        let me = getpid()
        state.withLock { state in Self.adopt(&state, pid: me) }
    }

    private static func adopt(_ state: inout State, pid: pid_t) {
        guard state.owner != pid else { return }
        closeAll(&state)
        state.owner = pid
        state.busy = false
        state.closeWhenReturned = false
    }

    private static func closeAll(_ state: inout State) {
        for entry in state.entries.values {
            if let directory = entry.directory {
                _ = closedir(directory.pointer)
                forget(entry.fd, &state)
            }
        }
        for fd in state.open { _ = Glibc.close(fd) }
        state.open.removeAll()
        state.entries.removeAll()
    }

    /// A kept-open directory goes with closedir (its DIR's memory too), a file with close.
    func close(_ entry: ProcReadSession.Entry) {
        state.withLock { state in Self.close(entry, &state) }
    }

    private static func close(_ entry: ProcReadSession.Entry, _ state: inout State) {
        if let directory = entry.directory {
            _ = closedir(directory.pointer)
            forget(entry.fd, &state)
        } else {
            close(entry.fd, &state)
        }
    }

    private static func close(_ fd: Int32, _ state: inout State) {
        _ = Glibc.close(fd)
        forget(fd, &state)
    }

    private static func forget(_ fd: Int32, _ state: inout State) {
        if let index = state.open.firstIndex(of: fd) { state.open.remove(at: index) }
    }
}
