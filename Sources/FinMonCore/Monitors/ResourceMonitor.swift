#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import NIOCore
import NIOPosix
import Synchronization

/// The original design's ResourceMonitor: samples CPU, memory, disk, this process and its
/// cgroup on a schedule and keeps the catalog's `system_*` and `process_*` metrics current.
///
/// A tick is scheduled on the runtime's event loop and reads on its thread pool, because
/// the reads block (a statvfs on a dead network mount can block for minutes). The sampler
/// is checked out of the lock for the read and checked back in after it, so no lock is held
/// across I/O: `stop()` returns at once even while a read hangs, `currentStats()` never
/// waits, and a forked child never inherits a held lock. While a read is out, later ticks
/// are skipped rather than queued behind it.
///
/// A source that fails keeps its metrics at their last values for that tick, counts
/// `finmon_collection_errors_total{collector}` and logs one warning until it recovers,
/// then one info line; the schedule goes on whatever a tick meets.
///
/// The `process_*` metrics are also refreshed on every exposition by a registry collector,
/// as prometheus_client's ProcessCollector does, so they are current even when the monitor
/// was never started.
public final class ResourceMonitor: Sendable {
    /// Sampling intervals accepted by `start`: finer than 10 ms would spin the pool for
    /// nothing (the kernel updates most of these numbers at the scheduler tick).
    public static let intervalRange: ClosedRange<Double> = 0.01...86_400
    /// The Python logger the monitor's own messages go to.
    public static let logger = "finmon"

    /// Hands out the runtime's event loop and thread pool, starting them if needed; nil
    /// once the runtime is gone.
    public typealias ThreadProvider = @Sendable () -> (loop: any EventLoop, pool: NIOThreadPool)?

    private struct State {
        var configuration: SystemSampler.Configuration
        var sampler: SystemSampler
        /// Bumped when the configuration changes: a read started under the old one is dropped.
        var samplerEpoch: UInt64 = 0
        /// The sampler is out for a read (a tick's or `sampleNow`'s).
        var samplerBusy = false
        var busySince = 0.0
        var stallWarned = false
        /// Bumped by every start and stop: a tick of an older schedule does nothing.
        var generation: UInt64 = 0
        var task: RepeatedTask?
        var intervalSeconds: Double?
        var latch = WarningLatch<SystemCollector>()
        var failuresSinceWarning: [SystemCollector: UInt64] = [:]
        var last: SystemSample?
        /// btime for the exposition-time process reads; fixed while the machine is up.
        var bootTimeSeconds: UInt64?
    }

    private let state: Mutex<State>
    private let threads = Mutex<ThreadProvider?>(nil)
    private let events: EventQueue

    private let memoryUsage: Series
    private let memoryTotal: Series
    private let memoryLimit: Series
    private let cpuPercent: Series
    private let diskUsage: Series
    private let diskTotal: Series
    private let diskPercent: Series
    private let processCPU: Series
    private let processResident: Series
    private let processVirtual: Series
    private let processOpenFDs: Series
    private let processMaxFDs: Series
    private let processStart: Series
    private let processGrowth: Series
    private let collectionErrors: [SystemCollector: Series]

    /// A stopped monitor with the default configuration (/proc, /sys/fs/cgroup, disk "/",
    /// a 300 s growth window). The error counter's series start at 0 for every source, so
    /// `rate()` sees the first failure. Registers the exposition-time process collector.
    /// - Throws: `MetricsError` if a catalog family is not the unlabeled metric expected.
    public init(catalog: MetricsCatalog, registry: MetricsRegistry, events: EventQueue) throws(MetricsError) {
        let configuration = SystemSampler.Configuration()
        let sampler: SystemSampler
        do {
            sampler = try SystemSampler(configuration: configuration)
        } catch {
            // Unreachable with the default window; mapped so the runtime's init keeps one error type.
            throw .invalidValue(metric: catalog.processResidentMemoryGrowthBytesPerSecond.name, reason: error.description)
        }
        state = Mutex(State(configuration: configuration, sampler: sampler))
        self.events = events
        memoryUsage = try catalog.systemMemoryUsageBytes.labels([])
        memoryTotal = try catalog.systemMemoryTotalBytes.labels([])
        memoryLimit = try catalog.systemMemoryLimitBytes.labels([])
        cpuPercent = try catalog.systemCPUUsagePercent.labels([])
        diskUsage = try catalog.systemDiskUsageBytes.labels([])
        diskTotal = try catalog.systemDiskTotalBytes.labels([])
        diskPercent = try catalog.systemDiskUsagePercent.labels([])
        processCPU = try catalog.processCPUSecondsTotal.labels([])
        processResident = try catalog.processResidentMemoryBytes.labels([])
        processVirtual = try catalog.processVirtualMemoryBytes.labels([])
        processOpenFDs = try catalog.processOpenFDs.labels([])
        processMaxFDs = try catalog.processMaxFDs.labels([])
        processStart = try catalog.processStartTimeSeconds.labels([])
        processGrowth = try catalog.processResidentMemoryGrowthBytesPerSecond.labels([])
        var errors: [SystemCollector: Series] = [:]
        for collector in SystemCollector.allCases {
            errors[collector] = try catalog.collectionErrorsTotal.labels([collector.rawValue])
        }
        collectionErrors = errors
        registry.addCollector { [weak self] in self?.refreshProcessMetrics() }
    }

    /// Where `start` gets its event loop and thread pool; the runtime sets it once.
    public func useThreads(_ provider: @escaping ThreadProvider) {
        threads.withLock { $0 = provider }
    }

    public var configuration: SystemSampler.Configuration { state.withLock { $0.configuration } }

    /// Changes what is read. A different configuration starts the sampler over (no CPU
    /// baseline, an empty growth window) and drops a read in flight under the old one;
    /// the same configuration changes nothing. Takes effect at the next tick.
    /// - Throws: `.invalidConfiguration` if the proc root is not a directory, the disk path
    ///   does not exist, the pid is not "self" or a number, or the growth window is not a
    ///   finite number of seconds > 0; nothing changes then.
    public func configure(_ configuration: SystemSampler.Configuration) throws(ResourceMonitorError) {
        try Self.validate(configuration)
        let sampler: SystemSampler
        do {
            sampler = try SystemSampler(configuration: configuration)
        } catch {
            throw .invalidConfiguration(error.description)
        }
        state.withLock { state in
            guard state.configuration != configuration else { return }
            state.configuration = configuration
            state.sampler = sampler
            state.samplerEpoch &+= 1
            state.samplerBusy = false
            state.stallWarned = false
            state.bootTimeSeconds = nil
        }
    }

    /// Samples now and then every `intervalSeconds` until `stop()`. Starting a running
    /// monitor reschedules it with the new interval.
    /// - Throws: `.invalidInterval` outside `intervalRange` (NaN included), `.noThreads`.
    public func start(intervalSeconds: Double) throws(ResourceMonitorError) {
        guard Self.intervalRange.contains(intervalSeconds) else { throw .invalidInterval(intervalSeconds) }
        guard let provider = threads.withLock({ $0 }), let (loop, pool) = provider() else { throw .noThreads }
        let (previous, generation) = state.withLock { state -> (RepeatedTask?, UInt64) in
            state.generation &+= 1
            state.intervalSeconds = intervalSeconds
            defer { state.task = nil }
            return (state.task, state.generation)
        }
        previous?.cancel()
        let delay = TimeAmount.nanoseconds(Int64(intervalSeconds * 1_000_000_000))
        let task = loop.scheduleRepeatedTask(initialDelay: .zero, delay: delay) { [weak self] _ in
            self?.tick(generation: generation, pool: pool)
        }
        let kept = state.withLock { state -> Bool in
            guard state.generation == generation else { return false }
            state.task = task
            return true
        }
        // A stop or another start came in between: this schedule is already obsolete.
        if !kept { task.cancel() }
    }

    /// Cancels the schedule and returns without waiting: a read in flight finishes on the
    /// pool by itself and its result is dropped. Metrics keep their last values.
    public func stop() {
        let task = state.withLock { state -> RepeatedTask? in
            state.generation &+= 1
            state.intervalSeconds = nil
            defer { state.task = nil }
            return state.task
        }
        task?.cancel()
    }

    public var isRunning: Bool { state.withLock { $0.intervalSeconds != nil } }

    /// The interval of the running schedule, nil while stopped.
    public var intervalSeconds: Double? { state.withLock { $0.intervalSeconds } }

    /// A read is out (a tick's or `sampleNow`'s), for tests.
    var isReading: Bool { state.withLock { $0.samplerBusy } }

    /// The newest sample taken (by a tick or `sampleNow`), nil before the first one.
    public func currentStats() -> SystemSample? {
        state.withLock { $0.last }
    }

    /// Samples on the calling thread (blocking reads), updates the metrics as a tick does
    /// and returns the sample. While a tick's read is out, this one reads with a copy of
    /// the sampler and leaves the tick's bookkeeping alone.
    @discardableResult
    public func sampleNow() -> SystemSample {
        let now = SystemSampler.clock(CLOCK_MONOTONIC)
        let (copy, epoch, owned) = state.withLock { state -> (SystemSampler, UInt64, Bool) in
            if state.samplerBusy { return (state.sampler, state.samplerEpoch, false) }
            state.samplerBusy = true
            state.busySince = now
            return (state.sampler, state.samplerEpoch, true)
        }
        var sampler = copy
        let sample = sampler.sample()
        finish(sample, sampler: owned ? sampler : nil, epoch: epoch, generation: nil)
        return sample
    }

    /// In a forked child the loop and pool of the parent do not exist: forget the schedule
    /// (cancelling would talk to a loop that is gone) and any read that was out.
    public func forgetThreadsAfterFork() {
        state.withLock { state in
            state.generation &+= 1
            state.task = nil
            state.intervalSeconds = nil
            state.samplerBusy = false
            state.stallWarned = false
        }
    }

    // MARK: - Ticks

    private func tick(generation: UInt64, pool: NIOThreadPool) {
        let now = SystemSampler.clock(CLOCK_MONOTONIC)
        let checkout = state.withLock { state -> (SystemSampler, UInt64)? in
            guard state.generation == generation else { return nil }
            guard !state.samplerBusy else {
                noteStall(&state, now: now)
                return nil
            }
            state.samplerBusy = true
            state.busySince = now
            return (state.sampler, state.samplerEpoch)
        }
        guard let (checkedOut, epoch) = checkout else { return }
        pool.submit { [weak self] workState in
            guard let self else { return }
            guard case .active = workState else {
                self.checkIn(nil, epoch: epoch)
                return
            }
            var sampler = checkedOut
            let sample = sampler.sample()
            self.finish(sample, sampler: sampler, epoch: epoch, generation: generation)
        }
    }

    /// One warning when a read has been out longer than an interval: the cause (a hung
    /// mount) lies outside finmon, and without it the metrics would go stale in silence.
    private func noteStall(_ state: inout State, now: Double) {
        guard !state.stallWarned, let interval = state.intervalSeconds, now - state.busySince > interval else { return }
        state.stallWarned = true
        let seconds = SampleFormatter.format((now - state.busySince).rounded())
        events.push(RuntimeEvent(
            level: .warning, logger: Self.logger,
            message: "A resource sample started \(seconds) s ago has not returned (a hung read, e.g. statvfs of "
                + "\(state.configuration.diskPath)?); ticks are skipped until it does",
            json: "{\"stalled_seconds\":\(JSONText.number(now - state.busySince))}"))
    }

    private func checkIn(_ sampler: SystemSampler?, epoch: UInt64) {
        state.withLock { state in
            guard epoch == state.samplerEpoch else { return }
            if let sampler { state.sampler = sampler }
            state.samplerBusy = false
        }
    }

    /// Checks the sampler back in (when it was checked out) and applies the sample, unless
    /// it belongs to an old configuration or, for a tick, to a schedule since stopped.
    private func finish(_ sample: SystemSample, sampler: SystemSampler?, epoch: UInt64, generation: UInt64?) {
        state.withLock { state in
            guard epoch == state.samplerEpoch else { return }
            if let sampler {
                state.sampler = sampler
                state.samplerBusy = false
                if state.stallWarned {
                    state.stallWarned = false
                    events.push(RuntimeEvent(
                        level: .info, logger: Self.logger,
                        message: "The stalled resource sample returned; sampling resumes"))
                }
            }
            if let generation, generation != state.generation { return }
            account(sample.errors, succeeded: sample.succeeded, state: &state)
            // A read that started earlier but returned later must not overwrite a newer one.
            if let last = state.last, last.monotonicTime > sample.monotonicTime { return }
            state.last = sample
            publish(sample)
        }
    }

    // MARK: - Metrics

    private func publish(_ sample: SystemSample) {
        if let percent = sample.cpuPercent { try? cpuPercent.set(percent) }
        if let memory = sample.memory {
            try? memoryUsage.set(Double(memory.used))
            try? memoryTotal.set(Double(memory.total))
            if let limit = sample.memoryLimitBytes { try? memoryLimit.set(Double(limit)) }
        }
        if let disk = sample.disk {
            try? diskUsage.set(Double(disk.used))
            try? diskTotal.set(Double(disk.total))
            try? diskPercent.set(disk.percent)
        }
        if let process = sample.process { publishProcess(process) }
        if let growth = sample.rssGrowthBytesPerSecond { try? processGrowth.set(growth) }
    }

    private func publishProcess(_ process: ProcessStats) {
        // The kernel's own counter, stored as read: it is not an increment of ours.
        processCPU.store(process.cpuSecondsTotal)
        try? processResident.set(Double(process.residentBytes))
        try? processVirtual.set(Double(process.virtualBytes))
        try? processOpenFDs.set(Double(process.openFDs))
        try? processMaxFDs.set(process.maxFDs.map { Double($0) } ?? .infinity)
        try? processStart.set(process.startTimeSeconds)
    }

    private func account(_ errors: [SystemCollectorError], succeeded: [SystemCollector], state: inout State) {
        for failure in errors {
            try? collectionErrors[failure.collector]?.inc()
            state.failuresSinceWarning[failure.collector, default: 0] &+= 1
            guard state.latch.recordFailure(failure.collector) else { continue }
            let name = failure.collector.rawValue
            var json = "{\"collector\":"
            JSONText.appendString(name, to: &json)
            json += ",\"error\":"
            JSONText.appendString(failure.message, to: &json)
            json += "}"
            events.push(RuntimeEvent(
                level: .warning, logger: Self.logger,
                message: "Cannot collect \(name) metrics: \(failure.message). They keep their last values, "
                    + "finmon_collection_errors_total{collector=\"\(name)\"} counts each failure, "
                    + "and this is not logged again until it recovers",
                json: json))
        }
        for collector in succeeded where state.latch.recordSuccess(collector) {
            let failures = state.failuresSinceWarning.removeValue(forKey: collector) ?? 0
            events.push(RuntimeEvent(
                level: .info, logger: Self.logger,
                message: "\(collector.rawValue) metrics are collected again after \(failures) failed "
                    + (failures == 1 ? "sample" : "samples"),
                json: "{\"collector\":\(JSONText.quoted(collector.rawValue)),\"failures\":\(failures)}"))
        }
    }

    /// The exposition-time refresh of the `process_*` gauges: a few small reads under
    /// /proc/<pid>, like prometheus_client's ProcessCollector on every scrape.
    func refreshProcessMetrics() {
        let (config, cachedBootTime, epoch) = state.withLock { ($0.configuration, $0.bootTimeSeconds, $0.samplerEpoch) }
        guard config.collectors.contains(.process) else { return }
        let result: Result<(ProcessStats, UInt64), SystemReadError>
        do throws(SystemReadError) {
            let bootTime: UInt64
            if let cachedBootTime {
                bootTime = cachedBootTime
            } else {
                bootTime = try ProcStat.readBootTime(procRoot: config.procRoot)
            }
            let stats = try ProcessStats.read(
                procRoot: config.procRoot, pid: config.pid, ticksPerSecond: config.ticksPerSecond,
                pageSize: config.pageSize, bootTimeSeconds: bootTime)
            result = .success((stats, bootTime))
        } catch {
            result = .failure(error)
        }
        state.withLock { state in
            guard epoch == state.samplerEpoch else { return }
            switch result {
            case .success(let (stats, bootTime)):
                state.bootTimeSeconds = bootTime
                publishProcess(stats)
                account([], succeeded: [.process], state: &state)
            case .failure(let error):
                account([SystemCollectorError(collector: .process, error: error)], succeeded: [], state: &state)
            }
        }
    }

    /// The cgroup filesystem that goes with a proc root: `<parent>/sys/fs/cgroup`, so
    /// "/proc" gives "/sys/fs/cgroup" and a host's tree mounted at "/host/proc" gives
    /// "/host/sys/fs/cgroup".
    public static func cgroupRoot(forProcRoot procRoot: String) -> String {
        var root = Substring(procRoot)
        while root.count > 1, root.hasSuffix("/") { root = root.dropLast() }
        guard let slash = root.lastIndex(of: "/") else { return "sys/fs/cgroup" }
        return String(root[..<slash]) + "/sys/fs/cgroup"
    }

    // MARK: - Validation

    private static func validate(_ configuration: SystemSampler.Configuration) throws(ResourceMonitorError) {
        guard isDirectory(configuration.procRoot) else {
            throw .invalidConfiguration("proc root '\(configuration.procRoot)' is not a directory")
        }
        guard !configuration.diskPath.isEmpty, access(configuration.diskPath, F_OK) == 0 else {
            throw .invalidConfiguration("disk path '\(configuration.diskPath)' does not exist")
        }
        let pid = configuration.pid
        guard pid == "self" || (!pid.isEmpty && pid.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            throw .invalidConfiguration("pid must be \"self\" or a process id, got '\(pid)'")
        }
    }

    private static func isDirectory(_ path: String) -> Bool {
        guard !path.isEmpty else { return false }
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        return info.st_mode & S_IFMT == S_IFDIR
    }
}
