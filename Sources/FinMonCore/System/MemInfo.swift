/// System memory from /proc/meminfo with psutil `virtual_memory()` semantics.
/// All sizes are bytes.
public struct MemInfo: Sendable, Equatable {
    public enum AvailableSource: Sendable, Equatable {
        /// The kernel's MemAvailable (3.14+).
        case memAvailable
        /// MemAvailable absent or 0: psutil's `calculate_avail_vmem` estimate with
        /// the /proc/zoneinfo low watermarks.
        case estimated
        /// The estimate's own fallback when its inputs are missing (no zoneinfo, or
        /// no Active(file)/Inactive(file)/SReclaimable): MemFree + Cached.
        case freePlusCached
    }

    public var total: UInt64
    public var free: UInt64
    /// psutil's `available`, clamped to [0, total] (see `read`).
    public var available: UInt64
    /// psutil's `used` (7.x, as procps-ng `free` >= 4.0.1): total - available.
    public var used: UInt64
    /// The older psutil/`free` definition: total - free - cached - buffers, or
    /// total - free when that is negative (containers that show the host's cache).
    /// Lower than `used` by the reclaimable memory that is not free yet.
    public var usedExcludingCache: UInt64
    /// (total - available) / total * 100, full precision (psutil rounds to 0.1).
    public var percent: Double
    public var buffers: UInt64
    /// Cached + SReclaimable, as `free` and psutil report it.
    public var cached: UInt64
    public var shared: UInt64
    public var active: UInt64
    public var inactive: UInt64
    public var slab: UInt64
    public var availableSource: AvailableSource
    /// Every line of the file, keyed without the colon. "kB" values are converted
    /// to bytes; unit-less lines (HugePages_*) keep their count. Filled by `read(procRoot:pageSize:)`;
    /// a `SystemSampler` tick leaves it empty: nothing downstream of a tick reads it (not the
    /// metrics, the JSON sample nor the alerts), and building it was most of a tick's
    /// allocations.
    public var fields: [String: UInt64]

    public init(
        total: UInt64, free: UInt64, available: UInt64, used: UInt64, usedExcludingCache: UInt64,
        percent: Double, buffers: UInt64 = 0, cached: UInt64 = 0, shared: UInt64 = 0, active: UInt64 = 0,
        inactive: UInt64 = 0, slab: UInt64 = 0, availableSource: AvailableSource = .memAvailable,
        fields: [String: UInt64] = [:]
    ) {
        self.total = total
        self.free = free
        self.available = available
        self.used = used
        self.usedExcludingCache = usedExcludingCache
        self.percent = percent
        self.buffers = buffers
        self.cached = cached
        self.shared = shared
        self.active = active
        self.inactive = inactive
        self.slab = slab
        self.availableSource = availableSource
        self.fields = fields
    }

    /// - Parameter pageSize: unit of /proc/zoneinfo, used only by the fallback estimate.
    public static func read(
        procRoot: String = "/proc", pageSize: UInt64 = SystemConstants.pageSize
    ) throws(SystemReadError) -> MemInfo {
        var session = ProcReadSession(files: nil)
        return try read(
            session: &session, path: procRoot + "/meminfo", procRoot: procRoot, pageSize: pageSize, keepFields: true)
    }

    /// Parses the file in place in the session's buffer; `keepFields` also builds `fields`.
    static func read(
        session: inout ProcReadSession, path: String, procRoot: String, pageSize: UInt64, keepFields: Bool = false
    ) throws(SystemReadError) -> MemInfo {
        var all: [String: UInt64] = [:]
        let figures = try session.withBytes(path) { bytes throws(SystemReadError) in
            var figures = MemInfoFigures()
            try MemInfoFigures.scan(bytes, path: path) { key, value in
                figures.record(bytes, key, value)
                if keepFields { all[MemInfoFigures.name(bytes, key)] = value }
            }
            return figures
        }
        var memory = try make(figures: figures, path: path) { () throws(SystemReadError) -> UInt64? in
            let zonePath = procRoot + "/zoneinfo"
            let text: String
            do throws(SystemReadError) {
                text = try session.readText(zonePath)
            } catch {
                // psutil falls back on IOError at open only; a zoneinfo that opens
                // but does not parse is an error there (ValueError) and here.
                if case .cannotOpen = error.reason { return nil }
                throw error
            }
            let pages = try ZoneInfo.parse(text, path: zonePath).lowWatermarkPages
            return try ProcParse.multiply(pages, by: pageSize, field: "low watermark", path: zonePath)
        }
        memory.fields = all
        return memory
    }

    /// Every line as key -> value, in the one pass `read` makes.
    static func parseFields(_ text: String, path: String) throws(SystemReadError) -> [String: UInt64] {
        try ProcParse.withBytes(text) { bytes throws(SystemReadError) in
            var fields: [String: UInt64] = [:]
            try MemInfoFigures.scan(bytes, path: path) { key, value in
                fields[MemInfoFigures.name(bytes, key)] = value
            }
            return fields
        }
    }

    static func make(
        fields: [String: UInt64], path: String,
        lowWatermarkBytes: () throws(SystemReadError) -> UInt64?
    ) throws(SystemReadError) -> MemInfo {
        var memory = try make(figures: MemInfoFigures(fields), path: path, lowWatermarkBytes: lowWatermarkBytes)
        memory.fields = fields
        return memory
    }

    /// `lowWatermarkBytes` is called only when the estimate needs it; it returns
    /// nil when /proc/zoneinfo cannot be opened.
    static func make(
        figures fields: MemInfoFigures, path: String,
        lowWatermarkBytes: () throws(SystemReadError) -> UInt64?
    ) throws(SystemReadError) -> MemInfo {
        guard let total = fields["MemTotal"] else {
            throw SystemReadError(path: path, reason: .missingField("MemTotal"))
        }
        guard let free = fields["MemFree"] else {
            throw SystemReadError(path: path, reason: .missingField("MemFree"))
        }
        let buffers = fields["Buffers"] ?? 0
        let rawCached = fields["Cached"] ?? 0
        // `free` adds reclaimable slab to cached (procps-ng 05d751c4); psutil follows.
        let cached = fields["Cached"].map { saturatingAdd($0, fields["SReclaimable"] ?? 0) } ?? 0
        let shared = fields["Shmem"] ?? fields["MemShared"] ?? 0
        let active = fields["Active"] ?? 0
        let inactive = fields["Inactive"]
            ?? sum(fields["Inact_dirty"], fields["Inact_clean"], fields["Inact_laundry"])
            ?? 0
        let slab = fields["Slab"] ?? 0

        let usedExcludingCache: UInt64
        if let nonFree = sum(free, cached, buffers), nonFree <= total {
            usedExcludingCache = total - nonFree
        } else {
            usedExcludingCache = total >= free ? total - free : 0
        }

        // psutil: negative -> 0; more than total (a container seeing host numbers,
        // or an estimate gone wrong) -> free, as procps does.
        var source = AvailableSource.memAvailable
        var available: UInt64
        if let reported = fields["MemAvailable"], reported != 0 {
            available = reported > total ? free : reported
        } else {
            // MemAvailable == 0 happens too (psutil #1915); `free` then estimates as well.
            let estimate: Double
            (estimate, source) = try estimateAvailable(
                fields: fields, free: free, rawCached: rawCached, lowWatermarkBytes: lowWatermarkBytes)
            if !(estimate >= 0) {
                available = 0
            } else if estimate > Double(total) {
                available = free
            } else {
                available = UInt64(exactly: estimate) ?? total
            }
        }
        // Only garbage (MemFree > MemTotal) gets here with available > total.
        if available > total { available = total }

        let percent = total == 0 ? 0 : Double(total - available) / Double(total) * 100
        return MemInfo(
            total: total, free: free, available: available, used: total - available,
            usedExcludingCache: usedExcludingCache, percent: percent,
            buffers: buffers, cached: cached, shared: shared, active: active, inactive: inactive,
            slab: slab, availableSource: source)
    }

    /// psutil `calculate_avail_vmem` (7.x, which follows the kernel: reclaimable
    /// slab is added back less min(half, watermark)), in its float arithmetic so
    /// results match to the byte; int() truncates toward zero.
    static func estimateAvailable(
        fields: MemInfoFigures, free: UInt64, rawCached: UInt64,
        lowWatermarkBytes: () throws(SystemReadError) -> UInt64?
    ) throws(SystemReadError) -> (Double, AvailableSource) {
        let fallback = (Double(free) + Double(rawCached), AvailableSource.freePlusCached)
        guard let activeFile = fields["Active(file)"],
              let inactiveFile = fields["Inactive(file)"],
              let slabReclaimable = fields["SReclaimable"]
        else { return fallback }
        guard let watermarkBytes = try lowWatermarkBytes() else { return fallback }
        let watermark = Double(watermarkBytes)

        var available = Double(free) - watermark
        var pageCache = Double(activeFile) + Double(inactiveFile)
        pageCache -= Swift.min(pageCache / 2, watermark)
        available += pageCache
        available += Double(slabReclaimable) - Swift.min(Double(slabReclaimable) / 2, watermark)
        return (available.rounded(.towardZero), .estimated)
    }

    private static func saturatingAdd(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let (result, overflow) = a.addingReportingOverflow(b)
        return overflow ? UInt64.max : result
    }

    /// nil if any part is missing or the sum overflows.
    private static func sum(_ parts: UInt64?...) -> UInt64? {
        var total: UInt64 = 0
        for part in parts {
            guard let part else { return nil }
            let (result, overflow) = total.addingReportingOverflow(part)
            if overflow { return nil }
            total = result
        }
        return total
    }
}
