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
    /// to bytes; unit-less lines (HugePages_*) keep their count.
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
        return try read(session: &session, procRoot: procRoot, pageSize: pageSize)
    }

    static func read(
        session: inout ProcReadSession, procRoot: String, pageSize: UInt64
    ) throws(SystemReadError) -> MemInfo {
        let path = procRoot + "/meminfo"
        let fields = try parseFields(session.readText(path), path: path)
        return try make(fields: fields, path: path) { () throws(SystemReadError) -> UInt64? in
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
    }

    /// Every line as key -> value. Well-formed text takes one pass over its bytes with no
    /// array per line (a tick's largest user-space cost was here); anything the fast pass
    /// does not accept is parsed again by the checked parser, which names the fault.
    static func parseFields(_ text: String, path: String) throws(SystemReadError) -> [String: UInt64] {
        var text = text
        if let fields = text.withUTF8({ parseWellFormed($0) }) { return fields }
        return try parseFieldsChecked(text, path: path)
    }

    /// nil wherever `parseFieldsChecked` would throw (and possibly elsewhere); otherwise its result.
    private static func parseWellFormed(_ bytes: UnsafeBufferPointer<UInt8>) -> [String: UInt64]? {
        let newline = UInt8(ascii: "\n"), space = UInt8(ascii: " "), tab = UInt8(ascii: "\t")
        var fields: [String: UInt64] = [:]
        fields.reserveCapacity(64)
        var index = 0
        let count = bytes.count
        while index < count {
            var tokens = 0
            var key = 0..<0, value = 0..<0, unit = 0..<0
            while index < count && bytes[index] != newline {
                let byte = bytes[index]
                if byte == space || byte == tab {
                    index += 1
                    continue
                }
                let start = index
                while index < count, bytes[index] != newline, bytes[index] != space, bytes[index] != tab { index += 1 }
                switch tokens {
                case 0: key = start..<index
                case 1: value = start..<index
                case 2: unit = start..<index
                default: break
                }
                tokens += 1
            }
            index += 1
            if tokens == 0 { continue }
            guard tokens >= 2, bytes[key.upperBound - 1] == UInt8(ascii: ":") else { return nil }
            var number: UInt64 = 0
            for position in value {
                let digit = bytes[position] &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                let (shifted, overflowA) = number.multipliedReportingOverflow(by: 10)
                let (sum, overflowB) = shifted.addingReportingOverflow(UInt64(digit))
                guard !overflowA && !overflowB else { return nil }
                number = sum
            }
            if tokens >= 3 && unit.count == 2 && bytes[unit.lowerBound] == UInt8(ascii: "k")
                && bytes[unit.lowerBound + 1] == UInt8(ascii: "B") {
                let (bytesValue, overflow) = number.multipliedReportingOverflow(by: 1024)
                guard !overflow else { return nil }
                number = bytesValue
            }
            // Keys are short: a small string, stored inline, not allocated.
            let name = String(decoding: UnsafeBufferPointer(rebasing: bytes[key.lowerBound..<(key.upperBound - 1)]), as: UTF8.self)
            fields[name] = number
        }
        return fields
    }

    static func parseFieldsChecked(_ text: String, path: String) throws(SystemReadError) -> [String: UInt64] {
        var fields: [String: UInt64] = [:]
        fields.reserveCapacity(64)
        for line in ProcParse.lines(text) {
            let tokens = ProcParse.fields(line)
            if tokens.isEmpty { continue }
            // Byte-wise: Character comparisons here were a visible part of a tick's cost.
            guard tokens.count >= 2, tokens[0].utf8.last == UInt8(ascii: ":") else {
                throw SystemReadError(
                    path: path, reason: .malformed("line '\(ProcParse.excerpt(line))' is not 'Key: value [kB]'"))
            }
            let key = String(Substring(tokens[0].utf8.dropLast()))
            var value = try ProcParse.uint64(tokens[1], field: key, path: path)
            if tokens.count >= 3 && tokens[2].utf8.elementsEqual("kB".utf8) {
                value = try ProcParse.multiply(value, by: 1024, field: key, path: path)
            }
            fields[key] = value
        }
        return fields
    }

    /// `lowWatermarkBytes` is called only when the estimate needs it; it returns
    /// nil when /proc/zoneinfo cannot be opened.
    static func make(
        fields: [String: UInt64], path: String,
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
            slab: slab, availableSource: source, fields: fields)
    }

    /// psutil `calculate_avail_vmem` (7.x, which follows the kernel: reclaimable
    /// slab is added back less min(half, watermark)), in its float arithmetic so
    /// results match to the byte; int() truncates toward zero.
    static func estimateAvailable(
        fields: [String: UInt64], free: UInt64, rawCached: UInt64,
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
