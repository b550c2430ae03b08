#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One tick reads every enabled source and never throws: each source fails on
/// its own into `SystemSample.errors`, so a missing cgroup file does not cost
/// the CPU gauge. Blocking file I/O: run it off the event loop.
public struct SystemSampler: Sendable {
    public struct Configuration: Sendable, Equatable {
        public var procRoot: String
        public var cgroupRoot: String
        /// The filesystem whose usage is reported (statvfs of this path).
        public var diskPath: String
        /// The process to report on, a /proc entry name: "self" or a pid.
        public var pid: String
        public var collectors: Set<SystemCollector>
        public var rssGrowthWindowSeconds: Double
        public var rssGrowthCapacity: Int
        public var ticksPerSecond: UInt64
        public var pageSize: UInt64

        public init(
            procRoot: String = "/proc", cgroupRoot: String = "/sys/fs/cgroup", diskPath: String = "/",
            pid: String = "self", collectors: Set<SystemCollector> = Set(SystemCollector.allCases),
            rssGrowthWindowSeconds: Double = 300, rssGrowthCapacity: Int = 1024,
            ticksPerSecond: UInt64 = SystemConstants.ticksPerSecond, pageSize: UInt64 = SystemConstants.pageSize
        ) {
            self.procRoot = procRoot
            self.cgroupRoot = cgroupRoot
            self.diskPath = diskPath
            self.pid = pid
            self.collectors = collectors
            self.rssGrowthWindowSeconds = rssGrowthWindowSeconds
            self.rssGrowthCapacity = rssGrowthCapacity
            self.ticksPerSecond = ticksPerSecond
            self.pageSize = pageSize
        }
    }

    public let configuration: Configuration
    /// Kept-open /proc and cgroup descriptors, shared by copies of this sampler (a copy
    /// reading while another has them out reads the plain way); closed when the last copy
    /// goes, or by `closeDescriptors()`.
    let files = ProcDescriptors()
    private var cpu = CPUUsageCalculator()
    private var rssGrowth: RSSGrowthEstimator
    /// btime is fixed while the machine is up; cached after the first good read.
    private var bootTimeSeconds: UInt64?

    public init(configuration: Configuration = Configuration()) throws(RSSGrowthEstimator.ConfigurationError) {
        self.configuration = configuration
        self.rssGrowth = try RSSGrowthEstimator(
            windowSeconds: configuration.rssGrowthWindowSeconds, capacity: configuration.rssGrowthCapacity)
    }

    public mutating func sample() -> SystemSample {
        sample(timestamp: SystemSampler.clock(CLOCK_REALTIME), monotonicTime: SystemSampler.clock(CLOCK_MONOTONIC))
    }

    /// The same tick with the clocks supplied, for tests and for callers that
    /// already read them.
    public mutating func sample(timestamp: Double, monotonicTime: Double) -> SystemSample {
        let config = configuration
        var session = files.session()
        defer { files.finish(session) }
        var result = SystemSample(timestamp: timestamp, monotonicTime: monotonicTime)
        func attempt<T>(_ collector: SystemCollector, _ body: () throws(SystemReadError) -> T) -> T? {
            guard config.collectors.contains(collector) else { return nil }
            result.attempted.append(collector)
            do throws(SystemReadError) {
                return try body()
            } catch {
                result.errors.append(SystemCollectorError(collector: collector, error: error))
                return nil
            }
        }

        if let stat = attempt(.cpu, { () throws(SystemReadError) -> ProcStat in
            try ProcStat.read(session: &session, procRoot: config.procRoot, ticksPerSecond: config.ticksPerSecond)
        }) {
            result.cpuTimes = stat.cpu
            result.cpuPercent = cpu.update(stat.cpu)
            if bootTimeSeconds == nil { bootTimeSeconds = stat.bootTimeSeconds }
        }
        result.memory = attempt(.memory) { () throws(SystemReadError) -> MemInfo in
            try MemInfo.read(session: &session, procRoot: config.procRoot, pageSize: config.pageSize)
        }
        result.disk = attempt(.disk) { () throws(SystemReadError) -> DiskUsage in
            try DiskUsage.read(path: config.diskPath)
        }
        let bootTime = bootTimeSeconds
        result.process = attempt(.process) { () throws(SystemReadError) -> ProcessStats in
            try ProcessStats.read(
                session: &session, procRoot: config.procRoot, pid: config.pid, ticksPerSecond: config.ticksPerSecond,
                pageSize: config.pageSize, bootTimeSeconds: bootTime)
        }
        if let process = result.process {
            rssGrowth.add(time: monotonicTime, rssBytes: process.residentBytes)
            result.rssGrowthBytesPerSecond = rssGrowth.slopeBytesPerSecond
        }
        result.cgroupMemory = attempt(.cgroup) { () throws(SystemReadError) -> CgroupMemory? in
            try CgroupMemory.read(session: &session, procRoot: config.procRoot, cgroupRoot: config.cgroupRoot, pid: config.pid)
        } ?? nil
        return result
    }

    /// Closes the kept-open descriptors (at once, or when a read in flight returns); the
    /// next sample opens them again.
    public func closeDescriptors() {
        files.closeAll()
    }

    /// In a forked child: drops the parent's descriptors.
    public func resetDescriptorsAfterFork() {
        files.resetAfterFork()
    }

    static func clock(_ id: clockid_t) -> Double {
        var spec = timespec()
        guard clock_gettime(id, &spec) == 0 else { return 0 }
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1_000_000_000
    }
}
