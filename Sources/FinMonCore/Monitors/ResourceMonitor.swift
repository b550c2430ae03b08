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

    private struct State {
        var configuration: SystemSampler.Configuration
        var sampler: SystemSampler
        /// Moves on when the configuration changes: a read started under the old one is dropped.
        var samplerEpoch = Generation()
        /// The sampler is out for a read (a tick's or `sampleNow`'s).
        var samplerBusy = false
        var busySince = 0.0
        var stallWarned = false
        var latch = WarningLatch<SystemCollector>()
        var failuresSinceWarning: [SystemCollector: UInt64] = [:]
        var last: SystemSample?
        /// btime for the exposition-time process reads; fixed while the machine is up.
        var bootTimeSeconds: UInt64?
    }

    private let state: Mutex<State>
    /// The sampling schedule; its generation tells a tick of a stopped schedule to do nothing.
    private let job: EventLoopJob
    private let threads: CollectorThreads
    private let events: EventQueue
    private let metrics: MetricsCatalog
    private let collectionErrors: [SystemCollector: Metric<Counter>]

    /// A stopped monitor with the default configuration (/proc, /sys/fs/cgroup, disk "/",
    /// a 300 s growth window). The error counter's series start at 0 for every source, so
    /// `rate()` sees the first failure. Registers the exposition-time process collector.
    /// - Throws: `MetricsError` if a catalog family is not the unlabeled metric expected.
    public init(
        catalog: MetricsCatalog, registry: MetricsRegistry, events: EventQueue, threads: CollectorThreads
    ) throws(MetricsError) {
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
        self.threads = threads
        job = EventLoopJob(threads: threads)
        metrics = catalog
        var errors: [SystemCollector: Metric<Counter>] = [:]
        for collector in SystemCollector.allCases {
            errors[collector] = try catalog.collectionErrorsTotal.labels([collector.rawValue])
        }
        collectionErrors = errors
        registry.addCollector { [weak self] in self?.refreshProcessMetrics() }
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
            state.samplerEpoch.advance()
            state.samplerBusy = false
            state.stallWarned = false
            state.bootTimeSeconds = nil
        }
    }

    /// Samples now and then every `intervalSeconds` until `stop()`. Starting a running
    /// monitor reschedules it with the new interval.
    /// - Throws: `.invalidInterval` outside `intervalRange` (NaN included).
    public func start(intervalSeconds: Double) throws(ResourceMonitorError) {
        guard Self.intervalRange.contains(intervalSeconds) else { throw .invalidInterval(intervalSeconds) }
        let pool = threads.threadPool
        job.start(every: .nanoseconds(Int64(intervalSeconds * 1_000_000_000))) { [weak self] generation, _ in
            self?.tick(generation: generation, pool: pool)
        }
    }

    /// Cancels the schedule and returns without waiting: a read in flight finishes on the
    /// pool by itself and its result is dropped. Metrics keep their last values.
    public func stop() {
        job.stop()
        // A stopped monitor holds no files open; `sampleNow` or `start` opens them again.
        state.withLock { $0.sampler.closeDescriptors() }
    }

    public var isRunning: Bool { job.isRunning }

    /// The interval of the running schedule, nil while stopped.
    public var intervalSeconds: Double? { job.interval.map { Double($0.nanoseconds) / 1e9 } }

    /// The sampler's kept-open /proc and cgroup descriptors, for tests.
    var openDescriptors: [Int32] { state.withLock { $0.sampler.files.openDescriptors } }

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
        let (copy, epoch, owned) = state.withLock { state -> (SystemSampler, Generation, Bool) in
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
        job.forgetAfterFork()
        state.withLock { state in
            state.sampler.resetDescriptorsAfterFork()
            state.samplerBusy = false
            state.stallWarned = false
        }
    }

    // MARK: - Ticks

    private func tick(generation: Generation, pool: NIOThreadPool) {
        let now = SystemSampler.clock(CLOCK_MONOTONIC)
        let checkout = state.withLock { state -> (SystemSampler, Generation)? in
            guard job.isCurrent(generation) else { return nil }
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
        guard !state.stallWarned, let interval = intervalSeconds, now - state.busySince > interval else { return }
        state.stallWarned = true
        let seconds = SampleFormatter.format((now - state.busySince).rounded())
        events.push(RuntimeEvent(
            level: .warning, logger: Self.logger,
            message: "A resource sample started \(seconds) s ago has not returned (a hung read, e.g. statvfs of "
                + "\(state.configuration.diskPath)?); ticks are skipped until it does",
            json: "{\"stalled_seconds\":\(JSONText.number(now - state.busySince))}"))
    }

    private func checkIn(_ sampler: SystemSampler?, epoch: Generation) {
        state.withLock { state in
            guard epoch == state.samplerEpoch else { return }
            if let sampler { state.sampler = sampler }
            state.samplerBusy = false
        }
    }

    /// Checks the sampler back in (when it was checked out) and applies the sample, unless
    /// it belongs to an old configuration or, for a tick, to a schedule since stopped.
    private func finish(_ sample: SystemSample, sampler: SystemSampler?, epoch: Generation, generation: Generation?) {
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
            if let generation, !job.isCurrent(generation) { return }
            account(sample.errors, succeeded: sample.succeeded, state: &state)
            // A read that started earlier but returned later must not overwrite a newer one.
            if let last = state.last, last.monotonicTime > sample.monotonicTime { return }
            state.last = sample
            publish(sample)
        }
    }

    // MARK: - Metrics

    private func publish(_ sample: SystemSample) {
        if let percent = sample.cpuPercent { metrics.systemCPUUsagePercent.set(percent) }
        if let memory = sample.memory {
            metrics.systemMemoryUsageBytes.set(Double(memory.used))
            metrics.systemMemoryTotalBytes.set(Double(memory.total))
            if let limit = sample.memoryLimitBytes { metrics.systemMemoryLimitBytes.set(Double(limit)) }
        }
        if let disk = sample.disk {
            metrics.systemDiskUsageBytes.set(Double(disk.used))
            metrics.systemDiskTotalBytes.set(Double(disk.total))
            metrics.systemDiskUsagePercent.set(disk.percent)
        }
        if let process = sample.process { publishProcess(process) }
        if let growth = sample.rssGrowthBytesPerSecond { metrics.processResidentMemoryGrowthBytesPerSecond.set(growth) }
    }

    private func publishProcess(_ process: ProcessStats) {
        // The kernel's own counter, stored as read: it is not an increment of ours.
        metrics.processCPUSecondsTotal.store(process.cpuSecondsTotal)
        metrics.processResidentMemoryBytes.set(Double(process.residentBytes))
        metrics.processVirtualMemoryBytes.set(Double(process.virtualBytes))
        metrics.processOpenFDs.set(Double(process.openFDs))
        metrics.processMaxFDs.set(process.maxFDs.map { Double($0) } ?? .infinity)
        metrics.processStartTimeSeconds.set(process.startTimeSeconds)
    }

    private func account(_ errors: [SystemCollectorError], succeeded: [SystemCollector], state: inout State) {
        for failure in errors {
            collectionErrors[failure.collector]?.inc()
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
