/// The sum of the per-zone `low` watermarks in /proc/zoneinfo, which psutil's
/// `calculate_avail_vmem` (the kernel's own MemAvailable formula, commit
/// 34e431b0ae39) reserves when estimating available memory on kernels < 3.14.
public struct ZoneInfo: Sendable, Equatable {
    public var lowWatermarkPages: UInt64

    public init(lowWatermarkPages: UInt64) {
        self.lowWatermarkPages = lowWatermarkPages
    }

    public static func read(procRoot: String = "/proc") throws(SystemReadError) -> ZoneInfo {
        let path = procRoot + "/zoneinfo"
        return try parse(ProcFile.readText(path), path: path)
    }

    /// psutil matches `line.strip().startswith(b'low')`; we require the first token
    /// to be exactly `low`, which selects the same lines in every kernel's format
    /// without also catching a hypothetical `low_*` key.
    static func parse(_ text: String, path: String) throws(SystemReadError) -> ZoneInfo {
        var sum: UInt64 = 0
        for line in ProcParse.lines(text) {
            let fields = ProcParse.fields(line)
            guard fields.first == "low" else { continue }
            guard fields.count >= 2 else {
                throw SystemReadError(path: path, reason: .malformed("'low' line has no value"))
            }
            let pages = try ProcParse.uint64(fields[1], field: "low", path: path)
            let (total, overflow) = sum.addingReportingOverflow(pages)
            if overflow {
                throw SystemReadError(path: path, reason: .numberOutOfRange("sum of low watermarks exceeds 64 bits"))
            }
            sum = total
        }
        return ZoneInfo(lowWatermarkPages: sum)
    }
}
