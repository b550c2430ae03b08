/// One process's resource use with the meaning of prometheus_client's
/// ProcessCollector (the standard `process_*` metrics).
public struct ProcessStats: Sendable, Equatable {
    /// process_cpu_seconds_total: (utime + stime) / USER_HZ.
    public var cpuSecondsTotal: Double
    public var userCPUSeconds: Double
    public var systemCPUSeconds: Double
    /// process_resident_memory_bytes: stat's rss pages * page size.
    public var residentBytes: UInt64
    /// process_virtual_memory_bytes: stat's vsize.
    public var virtualBytes: UInt64
    /// process_start_time_seconds: starttime / USER_HZ + btime, seconds since the epoch.
    public var startTimeSeconds: Double
    /// process_open_fds: entries of /proc/<pid>/fd.
    public var openFDs: Int
    /// process_max_fds: the soft "Max open files" limit; nil when "unlimited".
    public var maxFDs: UInt64?
    /// stat's num_threads.
    public var threads: UInt64
    /// VmHWM from status, the peak resident set; nil for kernel threads (no line).
    public var peakResidentBytes: UInt64?

    public init(
        cpuSecondsTotal: Double, userCPUSeconds: Double, systemCPUSeconds: Double,
        residentBytes: UInt64, virtualBytes: UInt64, startTimeSeconds: Double,
        openFDs: Int, maxFDs: UInt64?, threads: UInt64, peakResidentBytes: UInt64?
    ) {
        self.cpuSecondsTotal = cpuSecondsTotal
        self.userCPUSeconds = userCPUSeconds
        self.systemCPUSeconds = systemCPUSeconds
        self.residentBytes = residentBytes
        self.virtualBytes = virtualBytes
        self.startTimeSeconds = startTimeSeconds
        self.openFDs = openFDs
        self.maxFDs = maxFDs
        self.threads = threads
        self.peakResidentBytes = peakResidentBytes
    }

    /// Reads <procRoot>/<pid>/{stat,status,limits,fd} and, unless given,
    /// btime from <procRoot>/stat. Any unreadable or malformed part throws.
    ///
    /// - Parameter bootTimeSeconds: btime if the caller already has it (it never
    ///   changes while the machine is up), saving a read of /proc/stat.
    public static func read(
        procRoot: String = "/proc", pid: String = "self",
        ticksPerSecond: UInt64 = SystemConstants.ticksPerSecond,
        pageSize: UInt64 = SystemConstants.pageSize,
        bootTimeSeconds: UInt64? = nil
    ) throws(SystemReadError) -> ProcessStats {
        var session = ProcReadSession(files: nil)
        return try read(
            session: &session, procRoot: procRoot, pid: pid, ticksPerSecond: ticksPerSecond,
            pageSize: pageSize, bootTimeSeconds: bootTimeSeconds)
    }

    static func read(
        session: inout ProcReadSession, procRoot: String, pid: String, ticksPerSecond: UInt64,
        pageSize: UInt64, bootTimeSeconds: UInt64?
    ) throws(SystemReadError) -> ProcessStats {
        try read(
            session: &session, paths: Paths(procRoot: procRoot, pid: pid), ticksPerSecond: ticksPerSecond,
            pageSize: pageSize, bootTimeSeconds: bootTimeSeconds)
    }

    /// The files of one process, joined once (a sampler keeps them for its life).
    struct Paths: Sendable, Equatable {
        var procRoot: String
        var stat: String
        var status: String
        var limits: String
        var fd: String

        init(procRoot: String, pid: String) {
            let directory = procRoot + "/" + pid
            self.procRoot = procRoot
            stat = directory + "/stat"
            status = directory + "/status"
            limits = directory + "/limits"
            fd = directory + "/fd"
        }
    }

    /// - Parameter maxFDs: the soft open-files limit if the caller has it (a sampler re-reads
    ///   `limits` only every few ticks); nil reads it now.
    static func read(
        session: inout ProcReadSession, paths: Paths, ticksPerSecond: UInt64,
        pageSize: UInt64, bootTimeSeconds: UInt64?, maxFDs: UInt64?? = nil
    ) throws(SystemReadError) -> ProcessStats {
        let bootTime: UInt64
        if let bootTimeSeconds {
            bootTime = bootTimeSeconds
        } else {
            bootTime = try ProcStat.readBootTime(procRoot: paths.procRoot)
        }
        var stats = try session.withBytes(paths.stat) { bytes throws(SystemReadError) in
            try parseStat(bytes, path: paths.stat, ticksPerSecond: ticksPerSecond, pageSize: pageSize, bootTimeSeconds: bootTime)
        }
        stats.peakResidentBytes = try session.withBytes(paths.status) { bytes throws(SystemReadError) in
            try parsePeakResident(bytes, path: paths.status)
        }
        if let maxFDs {
            stats.maxFDs = maxFDs
        } else {
            stats.maxFDs = try parseMaxOpenFiles(session.readText(paths.limits), path: paths.limits)
        }
        stats.openFDs = try session.countEntries(directory: paths.fd)
        return stats
    }

    static func parseStat(
        _ text: String, path: String, ticksPerSecond: UInt64, pageSize: UInt64, bootTimeSeconds: UInt64
    ) throws(SystemReadError) -> ProcessStats {
        try ProcParse.withBytes(text) { bytes throws(SystemReadError) in
            try parseStat(bytes, path: path, ticksPerSecond: ticksPerSecond, pageSize: pageSize, bootTimeSeconds: bootTimeSeconds)
        }
    }

    /// The comm field (2) is the executable name in parentheses and may itself
    /// contain spaces and ')', so fields are counted after the LAST ')', as
    /// prometheus_client does (`split(b')')[-1]`); index 0 there is field 3, state.
    static func parseStat(
        _ bytes: UnsafeBufferPointer<UInt8>, path: String, ticksPerSecond: UInt64, pageSize: UInt64, bootTimeSeconds: UInt64
    ) throws(SystemReadError) -> ProcessStats {
        var close = bytes.count - 1
        while close >= 0 && bytes[close] != UInt8(ascii: ")") { close -= 1 }
        guard close >= 0 else {
            throw SystemReadError(path: path, reason: .malformed("no ')' closing the comm field"))
        }
        let line = (close + 1)..<ProcParse.lineEnd(bytes, from: close + 1)
        var tokens = InlineArray<22, Range<Int>>(repeating: 0..<0)
        let count = try ProcParse.forEachToken(bytes, in: line) { index, token in
            if index < 22 { tokens[index] = token }
            return true
        }
        guard count >= 22 else {
            throw SystemReadError(
                path: path, reason: .malformed("\(count) fields after comm, expected at least 22"))
        }
        let hz = Double(ticksPerSecond == 0 ? 100 : ticksPerSecond)
        let utime = try ProcParse.uint64(bytes, tokens[11], field: "utime", path: path)
        let stime = try ProcParse.uint64(bytes, tokens[12], field: "stime", path: path)
        let threads = try ProcParse.uint64(bytes, tokens[17], field: "num_threads", path: path)
        let startTime = try ProcParse.uint64(bytes, tokens[19], field: "starttime", path: path)
        let vsize = try ProcParse.uint64(bytes, tokens[20], field: "vsize", path: path)
        let rssPages = try ProcParse.uint64(bytes, tokens[21], field: "rss", path: path)
        let rss = try ProcParse.multiply(rssPages, by: pageSize, field: "rss", path: path)
        let user = Double(utime) / hz
        let system = Double(stime) / hz
        return ProcessStats(
            cpuSecondsTotal: user + system, userCPUSeconds: user, systemCPUSeconds: system,
            residentBytes: rss, virtualBytes: vsize,
            startTimeSeconds: Double(startTime) / hz + Double(bootTimeSeconds),
            openFDs: 0, maxFDs: nil, threads: threads, peakResidentBytes: nil)
    }

    static func parsePeakResident(_ text: String, path: String) throws(SystemReadError) -> UInt64? {
        try ProcParse.withBytes(text) { bytes throws(SystemReadError) in try parsePeakResident(bytes, path: path) }
    }

    static func parsePeakResident(_ bytes: UnsafeBufferPointer<UInt8>, path: String) throws(SystemReadError) -> UInt64? {
        var start = 0
        while start < bytes.count {
            let end = ProcParse.lineEnd(bytes, from: start)
            let line = start..<end
            start = end + 1
            guard ProcParse.hasPrefix(bytes, line, "VmHWM:") else { continue }
            var value: Range<Int>?
            try ProcParse.forEachToken(bytes, in: line) { index, token in
                if index == 1 { value = token }
                return index < 1
            }
            guard let value else {
                throw SystemReadError(path: path, reason: .malformed("VmHWM line has no value"))
            }
            let kib = try ProcParse.uint64(bytes, value, field: "VmHWM", path: path)
            return try ProcParse.multiply(kib, by: 1024, field: "VmHWM", path: path)
        }
        return nil
    }

    /// "Max open files  <soft>  <hard>  files": the soft limit, which is what
    /// open(2) enforces and what prometheus_client reports.
    static func parseMaxOpenFiles(_ text: String, path: String) throws(SystemReadError) -> UInt64? {
        for line in ProcParse.lines(text) where ProcParse.hasPrefix(line, "Max open files") {
            let fields = ProcParse.fields(line)
            guard fields.count >= 4 else {
                throw SystemReadError(path: path, reason: .malformed("'Max open files' line has no soft limit"))
            }
            if fields[3] == "unlimited" { return nil }
            return try ProcParse.uint64(fields[3], field: "Max open files", path: path)
        }
        throw SystemReadError(path: path, reason: .missingField("Max open files"))
    }
}
