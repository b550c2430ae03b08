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
        let directory = procRoot + "/" + pid
        let bootTime: UInt64
        if let bootTimeSeconds {
            bootTime = bootTimeSeconds
        } else {
            bootTime = try ProcStat.readBootTime(procRoot: procRoot)
        }
        let statPath = directory + "/stat"
        var stats = try parseStat(
            session.readText(statPath), path: statPath,
            ticksPerSecond: ticksPerSecond, pageSize: pageSize, bootTimeSeconds: bootTime)
        let statusPath = directory + "/status"
        stats.peakResidentBytes = try parsePeakResident(session.readText(statusPath), path: statusPath)
        let limitsPath = directory + "/limits"
        stats.maxFDs = try parseMaxOpenFiles(session.readText(limitsPath), path: limitsPath)
        stats.openFDs = try ProcFile.countEntries(directory: directory + "/fd")
        return stats
    }

    /// The comm field (2) is the executable name in parentheses and may itself
    /// contain spaces and ')', so fields are counted after the LAST ')', as
    /// prometheus_client does (`split(b')')[-1]`); index 0 there is field 3, state.
    static func parseStat(
        _ text: String, path: String, ticksPerSecond: UInt64, pageSize: UInt64, bootTimeSeconds: UInt64
    ) throws(SystemReadError) -> ProcessStats {
        guard let close = text.utf8.lastIndex(of: UInt8(ascii: ")")) else {
            throw SystemReadError(path: path, reason: .malformed("no ')' closing the comm field"))
        }
        let rest = text.utf8[text.utf8.index(after: close)...]
        let firstLine = rest.split(separator: UInt8(ascii: "\n"), maxSplits: 1).first.map { Substring($0) } ?? ""
        let parts = ProcParse.fields(firstLine)
        guard parts.count >= 22 else {
            throw SystemReadError(
                path: path, reason: .malformed("\(parts.count) fields after comm, expected at least 22"))
        }
        let hz = Double(ticksPerSecond == 0 ? 100 : ticksPerSecond)
        let utime = try ProcParse.uint64(parts[11], field: "utime", path: path)
        let stime = try ProcParse.uint64(parts[12], field: "stime", path: path)
        let threads = try ProcParse.uint64(parts[17], field: "num_threads", path: path)
        let startTime = try ProcParse.uint64(parts[19], field: "starttime", path: path)
        let vsize = try ProcParse.uint64(parts[20], field: "vsize", path: path)
        let rssPages = try ProcParse.uint64(parts[21], field: "rss", path: path)
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
        for line in ProcParse.lines(text) where ProcParse.hasPrefix(line, "VmHWM:") {
            let fields = ProcParse.fields(line)
            guard fields.count >= 2 else {
                throw SystemReadError(path: path, reason: .malformed("VmHWM line has no value"))
            }
            let kib = try ProcParse.uint64(fields[1], field: "VmHWM", path: path)
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
