#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Space on the filesystem holding a path, as psutil's `disk_usage`.
public struct DiskUsage: Sendable, Equatable {
    public var path: String
    /// f_blocks * f_frsize, including the blocks reserved for root.
    public var total: UInt64
    /// (f_blocks - f_bfree) * f_frsize.
    public var used: UInt64
    /// f_bavail * f_frsize: what an unprivileged user can still write.
    public var free: UInt64
    /// used / (used + free) * 100, full precision (psutil rounds to 0.1). The
    /// denominator leaves out root's reserve, so this reads ~5% higher than
    /// used / total and matches `df`'s Use% (before df's rounding up).
    public var percent: Double

    public init(path: String, total: UInt64, used: UInt64, free: UInt64, percent: Double) {
        self.path = path
        self.total = total
        self.used = used
        self.free = free
        self.percent = percent
    }

    public static func read(path: String = "/") throws(SystemReadError) -> DiskUsage {
        var info = statvfs()
        var result: Int32
        repeat {
            result = statvfs(path, &info)
        } while result != 0 && errno == EINTR
        guard result == 0 else {
            throw SystemReadError(path: path, reason: .statvfsFailed(errno: errno))
        }
        return try make(
            path: path, blocks: UInt64(info.f_blocks), freeBlocks: UInt64(info.f_bfree),
            availableBlocks: UInt64(info.f_bavail), fragmentSize: UInt64(info.f_frsize))
    }

    static func make(
        path: String, blocks: UInt64, freeBlocks: UInt64, availableBlocks: UInt64, fragmentSize: UInt64
    ) throws(SystemReadError) -> DiskUsage {
        guard freeBlocks <= blocks else {
            throw SystemReadError(path: path, reason: .malformed("f_bfree \(freeBlocks) > f_blocks \(blocks)"))
        }
        let total = try ProcParse.multiply(blocks, by: fragmentSize, field: "f_blocks", path: path)
        let used = try ProcParse.multiply(blocks - freeBlocks, by: fragmentSize, field: "used blocks", path: path)
        let free = try ProcParse.multiply(availableBlocks, by: fragmentSize, field: "f_bavail", path: path)
        // Double for the sum: used + free can exceed 64 bits only on garbage, and
        // the ratio does not need integer exactness.
        let userTotal = Double(used) + Double(free)
        let percent = userTotal > 0 ? Double(used) / userTotal * 100 : 0
        return DiskUsage(path: path, total: total, used: used, free: free, percent: percent)
    }
}
