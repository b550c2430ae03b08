/// Everything one SystemSampler tick read. A nil value means its source was not
/// attempted, failed (see `errors`), or has nothing to report (no cgroup memory
/// controller; no CPU baseline yet; fewer than two RSS samples).
public struct SystemSample: Sendable, Equatable {
    /// Wall clock, seconds since the epoch.
    public var timestamp: Double
    /// CLOCK_MONOTONIC seconds, the time base of the RSS slope.
    public var monotonicTime: Double
    public var cpuTimes: CPUTimes?
    /// See CPUUsageCalculator: nil on the first tick and after a counter reset.
    public var cpuPercent: Double?
    public var memory: MemInfo?
    public var cgroupMemory: CgroupMemory?
    public var disk: DiskUsage?
    public var process: ProcessStats?
    public var rssGrowthBytesPerSecond: Double?
    /// The sources this tick tried, in SystemCollector order.
    public var attempted: [SystemCollector]
    public var errors: [SystemCollectorError]

    public init(
        timestamp: Double, monotonicTime: Double,
        cpuTimes: CPUTimes? = nil, cpuPercent: Double? = nil, memory: MemInfo? = nil,
        cgroupMemory: CgroupMemory? = nil, disk: DiskUsage? = nil, process: ProcessStats? = nil,
        rssGrowthBytesPerSecond: Double? = nil,
        attempted: [SystemCollector] = [], errors: [SystemCollectorError] = []
    ) {
        self.timestamp = timestamp
        self.monotonicTime = monotonicTime
        self.cpuTimes = cpuTimes
        self.cpuPercent = cpuPercent
        self.memory = memory
        self.cgroupMemory = cgroupMemory
        self.disk = disk
        self.process = process
        self.rssGrowthBytesPerSecond = rssGrowthBytesPerSecond
        self.attempted = attempted
        self.errors = errors
    }

    /// Attempted sources that did not fail: feed them to WarningLatch.recordSuccess.
    public var succeeded: [SystemCollector] {
        let failed = Set(errors.map(\.collector))
        return attempted.filter { !failed.contains($0) }
    }

    /// What this process may use: the cgroup limit when below MemTotal, else MemTotal;
    /// nil when memory was not read or the cgroup read failed (the limit is then unknown).
    public var memoryLimitBytes: UInt64? {
        guard let memory, !errors.contains(where: { $0.collector == .cgroup }) else { return nil }
        return cgroupMemory?.limitBytes.map { Swift.min($0, memory.total) } ?? memory.total
    }
}
