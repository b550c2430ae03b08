/// Turns successive one-shot stats samples into the numbers `docker stats` shows,
/// using the docker CLI's formulas (cli/command/container/stats_helpers.go).
///
/// One-shot replies carry no usable `precpu_stats`, so the calculator keeps the
/// previous CPU counters per container id itself; the first sample of a container
/// therefore has no CPU percent. Call `forget(id:)` when a container goes away so
/// its state (and any series built from it) does not linger.
public struct ContainerStatsCalculator: Sendable {
    public struct Usage: Sendable, Equatable {
        /// Percent of one CPU (200 = two CPUs busy); nil for a first sample or
        /// when counters are missing, stalled or went backwards.
        public var cpuPercent: Double?
        /// usage minus inactive file cache, the figure `docker stats` shows.
        public var memoryUsageBytes: UInt64?
        public var memoryLimitBytes: UInt64?
        /// memoryUsageBytes / memoryLimitBytes * 100; nil without a usable limit.
        public var memoryPercent: Double?

        public init(
            cpuPercent: Double? = nil, memoryUsageBytes: UInt64? = nil, memoryLimitBytes: UInt64? = nil,
            memoryPercent: Double? = nil
        ) {
            self.cpuPercent = cpuPercent
            self.memoryUsageBytes = memoryUsageBytes
            self.memoryLimitBytes = memoryLimitBytes
            self.memoryPercent = memoryPercent
        }
    }

    private struct CPUCounters: Sendable {
        var total: UInt64
        var system: UInt64
    }

    private var previous: [String: CPUCounters] = [:]

    public init() {}

    /// Computes the usage of `sample` against the previous sample of `id` and keeps
    /// `sample`'s CPU counters as the next baseline.
    public mutating func record(id: String, sample: ContainerStatsSample) -> Usage {
        let memory = Self.memoryUsageNoCache(sample)
        return Usage(
            cpuPercent: recordCPU(id: id, sample: sample),
            memoryUsageBytes: memory,
            memoryLimitBytes: sample.memoryLimit,
            memoryPercent: memory.flatMap { Self.memoryPercent(usage: $0, limit: sample.memoryLimit) }
        )
    }

    /// Drops what is kept for `id`.
    public mutating func forget(id: String) {
        previous[id] = nil
    }

    /// Drops every container not in `ids` (those that vanished since the last scan).
    public mutating func retainOnly(_ ids: Set<String>) {
        previous = previous.filter { ids.contains($0.key) }
    }

    /// Containers with a CPU baseline.
    var trackedIDs: Set<String> { Set(previous.keys) }

    private mutating func recordCPU(id: String, sample: ContainerStatsSample) -> Double? {
        guard let total = sample.cpuTotalUsage, let system = sample.systemCPUUsage else {
            // Keep the older baseline: a later complete sample still measures a real interval.
            return nil
        }
        let current = CPUCounters(total: total, system: system)
        let last = previous[id]
        previous[id] = current
        guard let last else { return nil }
        return Self.cpuPercent(
            cpuDelta: (current.total, last.total), systemDelta: (current.system, last.system),
            onlineCPUs: Self.onlineCPUs(sample))
    }

    /// docker CLI: (cpuDelta / systemDelta) * onlineCPUs * 100. Where the CLI prints 0
    /// for a counter that went backwards (container restarted, engine reset), this
    /// returns nil: no number is better than a wrong one. A stalled system counter
    /// (two samples in the same tick) also gives nil rather than dividing by zero.
    static func cpuPercent(
        cpuDelta cpu: (now: UInt64, before: UInt64), systemDelta system: (now: UInt64, before: UInt64),
        onlineCPUs: Int
    ) -> Double? {
        guard cpu.now >= cpu.before, system.now > system.before else { return nil }
        let cpuDelta = Double(cpu.now - cpu.before)
        let systemDelta = Double(system.now - system.before)
        return cpuDelta / systemDelta * Double(onlineCPUs) * 100.0
    }

    /// online_cpus, else the number of per-CPU counters (old engines, cgroup v1), else 1.
    public static func onlineCPUs(_ sample: ContainerStatsSample) -> Int {
        if let online = sample.onlineCPUs, online > 0 { return online }
        if let perCPU = sample.perCPUUsage, !perCPU.isEmpty { return perCPU.count }
        return 1
    }

    /// docker CLI's calculateMemUsageUnixNoCache: usage minus total_inactive_file
    /// (cgroup v1) or inactive_file (cgroup v2), each only when smaller than usage,
    /// so the result never goes below zero; nil when the engine gave no usage.
    public static func memoryUsageNoCache(_ sample: ContainerStatsSample) -> UInt64? {
        guard let usage = sample.memoryUsage else { return nil }
        if let v1 = sample.totalInactiveFile, v1 < usage {
            return usage - v1
        }
        if let v2 = sample.inactiveFile, v2 < usage {
            return usage - v2
        }
        return usage
    }

    /// docker CLI's calculateMemPercentUnixNoCache, except that a missing or zero
    /// limit gives nil instead of 0.
    public static func memoryPercent(usage: UInt64, limit: UInt64?) -> Double? {
        guard let limit, limit > 0 else { return nil }
        return Double(usage) / Double(limit) * 100.0
    }
}
