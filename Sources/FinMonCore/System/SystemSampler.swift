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
    /// Settings re-read only every `settingsRefreshTicks` ticks.
    private var settings = SystemSettingsCache()
    /// Every path a tick reads, joined once.
    private let statPath: String
    private let meminfoPath: String
    private let processPaths: ProcessStats.Paths
    /// The sources attempted, in order: one array shared by every sample.
    private let attemptedSources: [SystemCollector]

    /// How often the settings that change rarely are read again: the process's open-files
    /// limit (`limits`), and its cgroup membership, directory and memory limit. A tick
    /// re-reads them once `settingsRefreshTicks` ticks or `settingsRefreshSeconds` seconds
    /// (of `monotonicTime`) have passed since they were last read, whichever comes first;
    /// between those ticks a sample reports them as last read. So a change (a `setrlimit`,
    /// a new `memory.max`, a move to another cgroup) shows within 10 ticks or 30 s: 1 s
    /// at a 0.1 s interval, 30 s at the 5 s default. The cgroup's usage is read every
    /// tick; if that read fails (the cgroup was removed) the whole cgroup is read again at
    /// once. The first tick, and the first after `closeDescriptors()` or a fork, read
    /// everything.
    public static let settingsRefreshTicks = 10
    /// See `settingsRefreshTicks`.
    public static let settingsRefreshSeconds = 30.0

    public init(configuration: Configuration = Configuration()) throws(RSSGrowthEstimator.ConfigurationError) {
        self.configuration = configuration
        statPath = configuration.procRoot + "/stat"
        meminfoPath = configuration.procRoot + "/meminfo"
        processPaths = ProcessStats.Paths(procRoot: configuration.procRoot, pid: configuration.pid)
        attemptedSources = SystemCollector.allCases.filter { configuration.collectors.contains($0) }
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
        var result = SystemSample(timestamp: timestamp, monotonicTime: monotonicTime, attempted: attemptedSources)
        let refresh = settings.startTick(freshDescriptors: session.isFresh, monotonicTime: monotonicTime)
        if !refresh {
            // Files re-read only on refresh ticks stay open until then.
            session.retainAll()
        }
        func attempt<T>(_ collector: SystemCollector, _ body: () throws(SystemReadError) -> T) -> T? {
            guard config.collectors.contains(collector) else { return nil }
            do throws(SystemReadError) {
                return try body()
            } catch {
                result.errors.append(SystemCollectorError(collector: collector, error: error))
                return nil
            }
        }

        if let stat = attempt(.cpu, { () throws(SystemReadError) -> ProcStat in
            try ProcStat.read(session: &session, path: statPath, ticksPerSecond: config.ticksPerSecond)
        }) {
            result.cpuTimes = stat.cpu
            result.cpuPercent = cpu.update(stat.cpu)
            if bootTimeSeconds == nil { bootTimeSeconds = stat.bootTimeSeconds }
        }
        result.memory = attempt(.memory) { () throws(SystemReadError) -> MemInfo in
            try MemInfo.read(session: &session, path: meminfoPath, procRoot: config.procRoot, pageSize: config.pageSize)
        }
        result.disk = attempt(.disk) { () throws(SystemReadError) -> DiskUsage in
            try DiskUsage.read(path: config.diskPath)
        }
        let bootTime = bootTimeSeconds
        result.process = attempt(.process) { () throws(SystemReadError) -> ProcessStats in
            // Forgotten first, so a failed refresh is tried again next tick, not papered over.
            if refresh { settings.maxFDs = nil }
            let stats = try ProcessStats.read(
                session: &session, paths: processPaths, ticksPerSecond: config.ticksPerSecond,
                pageSize: config.pageSize, bootTimeSeconds: bootTime, maxFDs: settings.maxFDs)
            settings.maxFDs = .some(stats.maxFDs)
            return stats
        }
        if let process = result.process {
            rssGrowth.add(time: monotonicTime, rssBytes: process.residentBytes)
            result.rssGrowthBytesPerSecond = rssGrowth.slopeBytesPerSecond
        }
        result.cgroupMemory = attempt(.cgroup) { () throws(SystemReadError) -> CgroupMemory? in
            try settings.cgroup(refresh: refresh, session: &session, configuration: config)
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
