#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Kernel constants the readers scale by; they are parameters of every reader
/// so fixtures captured on one machine parse the same on another.
public enum SystemConstants {
    /// USER_HZ, the unit of /proc/stat and /proc/<pid>/stat times. The Linux ABI
    /// fixes it at 100 on every architecture, hence the fallback.
    public static let ticksPerSecond: UInt64 = {
        let value = sysconf(Int32(_SC_CLK_TCK))
        return value > 0 ? UInt64(value) : 100
    }()

    /// The unit of the rss field of /proc/<pid>/stat and of /proc/zoneinfo.
    public static let pageSize: UInt64 = {
        let value = sysconf(Int32(_SC_PAGESIZE))
        return value > 0 ? UInt64(value) : 4096
    }()
}
