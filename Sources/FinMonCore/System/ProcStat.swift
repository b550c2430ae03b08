/// What finmon needs from /proc/stat: the aggregate CPU times and the boot time.
public struct ProcStat: Sendable, Equatable {
    public var cpu: CPUTimes
    /// `btime`, seconds since the epoch; nil if the line is absent.
    public var bootTimeSeconds: UInt64?

    public init(cpu: CPUTimes, bootTimeSeconds: UInt64?) {
        self.cpu = cpu
        self.bootTimeSeconds = bootTimeSeconds
    }

    /// - Parameter ticksPerSecond: USER_HZ; 0 is treated as the ABI's 100.
    public static func read(
        procRoot: String = "/proc", ticksPerSecond: UInt64 = SystemConstants.ticksPerSecond
    ) throws(SystemReadError) -> ProcStat {
        var session = ProcReadSession(files: nil)
        return try read(session: &session, procRoot: procRoot, ticksPerSecond: ticksPerSecond)
    }

    static func read(
        session: inout ProcReadSession, procRoot: String, ticksPerSecond: UInt64
    ) throws(SystemReadError) -> ProcStat {
        let path = procRoot + "/stat"
        return try parse(session.readText(path), path: path, ticksPerSecond: ticksPerSecond)
    }

    /// btime alone, for readers that must not fail because of the cpu line.
    static func readBootTime(procRoot: String) throws(SystemReadError) -> UInt64 {
        let path = procRoot + "/stat"
        for line in ProcParse.lines(try ProcFile.readText(path)) where ProcParse.hasPrefix(line, "btime") {
            let fields = ProcParse.fields(line)
            guard fields.first == "btime" else { continue }
            guard fields.count >= 2 else {
                throw SystemReadError(path: path, reason: .malformed("btime line has no value"))
            }
            return try ProcParse.uint64(fields[1], field: "btime", path: path)
        }
        throw SystemReadError(path: path, reason: .missingField("btime"))
    }

    static func parse(_ text: String, path: String, ticksPerSecond: UInt64) throws(SystemReadError) -> ProcStat {
        let hz = Double(ticksPerSecond == 0 ? 100 : ticksPerSecond)
        var cpu: CPUTimes?
        var bootTime: UInt64?
        for line in ProcParse.lines(text) {
            // Only two lines matter; the others (intr has one number per IRQ, thousands on
            // a big machine) are not split at all.
            guard ProcParse.hasPrefix(line, "cpu ") || ProcParse.hasPrefix(line, "btime") else { continue }
            let fields = ProcParse.fields(line)
            guard let key = fields.first else { continue }
            if key == "cpu" && cpu == nil {
                cpu = try parseCPU(fields.dropFirst(), hz: hz, path: path)
            } else if key == "btime" {
                guard fields.count >= 2 else {
                    throw SystemReadError(path: path, reason: .malformed("btime line has no value"))
                }
                bootTime = try ProcParse.uint64(fields[1], field: "btime", path: path)
            }
        }
        guard let cpu else {
            throw SystemReadError(path: path, reason: .missingField("cpu"))
        }
        return ProcStat(cpu: cpu, bootTimeSeconds: bootTime)
    }

    /// Kernels before 2.6.11 print fewer columns (steal, guest, guest_nice came
    /// later); psutil sizes its tuple to what is there, we zero the rest.
    private static func parseCPU(_ tokens: ArraySlice<Substring>, hz: Double, path: String) throws(SystemReadError) -> CPUTimes {
        let names = ["user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal", "guest", "guest_nice"]
        guard tokens.count >= 4 else {
            throw SystemReadError(
                path: path, reason: .malformed("cpu line has \(tokens.count) values, expected at least 4"))
        }
        var seconds = [Double](repeating: 0, count: names.count)
        for (index, token) in tokens.prefix(names.count).enumerated() {
            seconds[index] = Double(try ProcParse.uint64(token, field: "cpu " + names[index], path: path)) / hz
        }
        return CPUTimes(
            user: seconds[0], nice: seconds[1], system: seconds[2], idle: seconds[3],
            iowait: seconds[4], irq: seconds[5], softirq: seconds[6], steal: seconds[7],
            guest: seconds[8], guestNice: seconds[9])
    }
}
