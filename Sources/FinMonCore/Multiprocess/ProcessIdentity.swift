import Glibc

/// A process as the kernel names it: its pid and its start time (clock ticks after boot,
/// field 22 of /proc/<pid>/stat), so a recycled pid is not taken for the process that had it.
///
/// ```swift
/// let me = ProcessIdentity.current()
/// ProcessIdentity.isAlive(pid: me.pid, start: me.start)   // true
/// ```
public enum ProcessIdentity {
    public static func current() -> (pid: Int32, start: UInt64) {
        let pid = getpid()
        return (pid, stat(pid)?.start ?? 0)
    }

    /// False for a process that is gone, a zombie (exited, not yet waited for: it writes
    /// nothing more), or one whose start time differs from `start` (0: not checked).
    public static func isAlive(pid: Int32, start: UInt64 = 0) -> Bool {
        guard pid > 0 else { return false }
        guard let found = stat(pid) else { return false }
        if found.state == UInt8(ascii: "Z") || found.state == UInt8(ascii: "X") { return false }
        return start == 0 || found.start == start
    }

    /// State and start time from /proc/<pid>/stat; the command name (field 2) may hold
    /// spaces and parentheses, so fields are counted after its last ')'.
    static func stat(_ pid: Int32) -> (state: UInt8, start: UInt64)? {
        guard let bytes = try? ProcFile.read("/proc/\(pid)/stat", limit: 4096),
              let close = bytes.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let fields = bytes[(close + 1)...].split(separator: UInt8(ascii: " "))
        // After ')': state is field 3, starttime field 22, so index 0 and 19 here.
        guard fields.count > 19, let state = fields[fields.startIndex].first,
              let start = UInt64(String(decoding: fields[fields.startIndex + 19], as: UTF8.self)) else { return nil }
        return (state, start)
    }
}
