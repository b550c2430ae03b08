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
        try read(session: &session, path: procRoot + "/stat", ticksPerSecond: ticksPerSecond)
    }

    /// `path` prebuilt by the sampler, so a tick joins no strings.
    static func read(
        session: inout ProcReadSession, path: String, ticksPerSecond: UInt64
    ) throws(SystemReadError) -> ProcStat {
        try session.withBytes(path) { bytes throws(SystemReadError) in
            try parse(bytes, path: path, ticksPerSecond: ticksPerSecond)
        }
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
        try ProcParse.withBytes(text) { bytes throws(SystemReadError) in
            try parse(bytes, path: path, ticksPerSecond: ticksPerSecond)
        }
    }

    /// One pass over the bytes in place. Only two lines matter; the others (intr has one
    /// number per IRQ, thousands on a big machine) are skipped at their first byte.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, path: String, ticksPerSecond: UInt64) throws(SystemReadError) -> ProcStat {
        let hz = Double(ticksPerSecond == 0 ? 100 : ticksPerSecond)
        var cpu: CPUTimes?
        var bootTime: UInt64?
        var start = 0
        while start < bytes.count {
            let end = ProcParse.lineEnd(bytes, from: start)
            defer { start = end + 1 }
            let line = start..<end
            if cpu == nil && ProcParse.hasPrefix(bytes, line, "cpu ") {
                cpu = try parseCPU(bytes, line, hz: hz, path: path)
            } else if ProcParse.hasPrefix(bytes, line, "btime") {
                var first: Range<Int>?, second: Range<Int>?
                try ProcParse.forEachToken(bytes, in: line) { index, token in
                    if index == 0 {
                        first = token
                        return true
                    }
                    second = token
                    return false
                }
                // "btimex 1" is not the btime line.
                guard let first, ProcParse.equals(bytes, first, "btime") else { continue }
                guard let second else {
                    throw SystemReadError(path: path, reason: .malformed("btime line has no value"))
                }
                bootTime = try ProcParse.uint64(bytes, second, field: "btime", path: path)
            }
        }
        guard let cpu else {
            throw SystemReadError(path: path, reason: .missingField("cpu"))
        }
        return ProcStat(cpu: cpu, bootTimeSeconds: bootTime)
    }

    private static let cpuNames = ["user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal", "guest", "guest_nice"]

    /// Kernels before 2.6.11 print fewer columns (steal, guest, guest_nice came
    /// later); psutil sizes its tuple to what is there, we zero the rest.
    private static func parseCPU(
        _ bytes: UnsafeBufferPointer<UInt8>, _ line: Range<Int>, hz: Double, path: String
    ) throws(SystemReadError) -> CPUTimes {
        let tokens = try ProcParse.forEachToken(bytes, in: line) { _, _ in true }
        guard tokens - 1 >= 4 else {
            throw SystemReadError(
                path: path, reason: .malformed("cpu line has \(tokens - 1) values, expected at least 4"))
        }
        var values = InlineArray<10, Double>(repeating: 0)
        try ProcParse.forEachToken(bytes, in: line) { index, token throws(SystemReadError) in
            guard index > 0 else { return true }
            guard index <= cpuNames.count else { return false }
            values[index - 1] = Double(try ProcParse.uint64(bytes, token, field: "cpu " + cpuNames[index - 1], path: path)) / hz
            return true
        }
        return CPUTimes(
            user: values[0], nice: values[1], system: values[2], idle: values[3],
            iowait: values[4], irq: values[5], softirq: values[6], steal: values[7],
            guest: values[8], guestNice: values[9])
    }
}
