import NIOCore
import Synchronization

/// The run's metrics over time, kept in the process for the exporter's live page
/// (`/api/history`) and the report: a bounded ring per series of the registry, sampled
/// every `Settings.intervalSeconds` on the library's event loop, never under the GIL.
///
/// Three resolutions, so memory stays bounded however long the loop runs:
/// - every sample for the last `fullResolutionSeconds` (1 h at 5 s: 720 points; at most
///   `maxFinePoints`, 4,096, however short the interval);
/// - one point per minute for the last `minuteSeconds` (24 h: 1,440 points), the mean
///   of a gauge's samples in that minute, a counter's last value;
/// - `runPoints` points over the whole run (1,024), 15 minutes each at first and twice as
///   wide whenever they are full (pairs merged), so the report always spans the run.
///
/// A point costs 8 bytes per series; at the defaults a series that lived 24 h holds
/// 720 + 1,440 + 96 points, about 18 KB (Benchmarks/RESULTS-history.md measures 1,000
/// series). Series past `maxSeries` are not recorded (counted in `dropped_series`), and a
/// series gone from the registry is forgotten, with its whole-run points, once the hour
/// and day tiers hold no point of it (a sandbox's series a day after it ended).
///
///     let history = MetricsHistory(registry: registry, threads: threads)
///     history.start()                       // samples every 5 s until stop()
///     let body = history.json(after: nil)   // what GET /api/history serves
public final class MetricsHistory: Sendable {
    public struct Settings: Sendable, Equatable {
        /// Seconds between samples: `grafana.refresh_interval`, the page's refresh.
        public var intervalSeconds: Double = 5
        public var fullResolutionSeconds: Double = 3_600
        public var minuteSeconds: Double = 86_400
        public var runPoints: Int = 1_024
        public var runStepSeconds: Double = 900
        public var maxSeries: Int = 2_000
        /// The full-resolution tier's bound, whatever the interval: `fullResolutionSeconds`
        /// or this many samples, whichever is shorter.
        public var maxFinePoints: Int = 4_096
        /// Config values the page draws as threshold lines, by dotted path.
        public var thresholds: [String: Double] = [:]

        public init() {}
    }

    struct SeriesKey: Sendable {
        let name: String
        let labels: [(String, String)]
        let key: String
        let cumulative: Bool
    }

    struct State {
        var settings: Settings
        var keys: [SeriesKey] = []
        var index: [String: Int] = [:]
        var fine: HistoryTier
        var minute: HistoryTier
        var run: HistoryTier
        var minuteBucket: HistoryBucket?
        var runBucket: HistoryBucket?
        var peaks: [Double] = []
        var alerts = AlertTimeline()
        var droppedSeries = 0
        var samples = 0
        var firstSample: Double?

        init(settings: Settings) {
            self.settings = settings
            let interval = max(0.001, settings.intervalSeconds)
            // At most `maxFinePoints`: a short interval (0.1 s) must not make the hour 36,000 points.
            let hour = (settings.fullResolutionSeconds / interval).rounded(.up)
            fine = HistoryTier(stepSeconds: interval, capacity: Int(min(hour, Double(settings.maxFinePoints))))
            minute = HistoryTier(stepSeconds: 60, capacity: Int((settings.minuteSeconds / 60).rounded(.up)))
            run = HistoryTier(stepSeconds: settings.runStepSeconds, capacity: settings.runPoints, doublesWhenFull: true)
        }
    }

    private let registry: MetricsRegistry
    let state: Mutex<State>
    private let job: EventLoopJob
    /// The champion's updates (the diversity monitor records them).
    public let champions: ChampionLog
    private let activeAlerts: @Sendable () -> [AlertEvent]

    func activeAlertsNow() -> [AlertEvent] { activeAlerts() }

    public init(
        registry: MetricsRegistry, threads: any EventLoopSource, champions: ChampionLog = ChampionLog(),
        activeAlerts: @escaping @Sendable () -> [AlertEvent] = { [] }, settings: Settings = Settings()
    ) {
        self.registry = registry
        self.job = EventLoopJob(threads: threads)
        self.champions = champions
        self.activeAlerts = activeAlerts
        self.state = Mutex(State(settings: settings))
    }

    public var settings: Settings { state.withLock { $0.settings } }

    /// Replaces the settings; a change of resolution starts the history anew.
    public func configure(_ settings: Settings) {
        state.withLock { state in
            var kept = state
            kept.settings = settings
            let old = state.settings
            let sameShape = old.intervalSeconds == settings.intervalSeconds
                && old.fullResolutionSeconds == settings.fullResolutionSeconds
                && old.minuteSeconds == settings.minuteSeconds && old.runPoints == settings.runPoints
                && old.runStepSeconds == settings.runStepSeconds && old.maxFinePoints == settings.maxFinePoints
            state = sameShape ? kept : State(settings: settings)
        }
    }

    /// Samples now and then every `intervalSeconds` on the event loop until `stop()`.
    public func start() {
        let interval = max(0.001, settings.intervalSeconds)
        job.start(every: .nanoseconds(Int64(interval * 1e9))) { [weak self] generation, _ in
            guard let self, self.job.isCurrent(generation) else { return }
            self.sample()
        }
    }

    public func stop() { job.stop() }

    public var isRunning: Bool { job.isRunning }

    public func forgetThreadsAfterFork() { job.forgetAfterFork() }

    /// Takes one sample of every series now (the periodic job calls it).
    public func sample(now: Double = AlertTime.now().epochSeconds) {
        registry.collect()
        let families = registry.sortedFamilies()
        let alerts = activeAlerts()
        state.withLock { state in
            var values = [Double](repeating: .nan, count: state.keys.count)
            for family in families {
                for (key, value) in Self.readings(of: family) {
                    let slot: Int
                    if let known = state.index[key.key] {
                        slot = known
                    } else {
                        guard state.keys.count < state.settings.maxSeries else {
                            state.droppedSeries += 1
                            continue
                        }
                        slot = Self.add(key, to: &state)
                        values.append(.nan)
                    }
                    values[slot] = value
                    if !value.isNaN, !(state.peaks[slot] >= value) { state.peaks[slot] = value }
                }
            }
            Self.append(values, at: now, to: &state)
            state.alerts.observe(active: alerts, at: now)
            state.samples += 1
            if state.firstSample == nil { state.firstSample = now }
            if state.samples % state.fine.capacity == 0 { Self.forgetGoneSeries(&state) }
        }
    }

    /// The current readings of a family: one per counter or gauge series, and a
    /// histogram's `_bucket` (one per bound), `_sum` and `_count`.
    static func readings(of family: MetricFamily) -> [(SeriesKey, Double)] {
        var result: [(SeriesKey, Double)] = []
        for series in family.sortedSeries() {
            let labels = Array(zip(family.labelNames, series.labelValues))
            switch family.type {
            case .counter, .gauge:
                result.append((key(family.name, labels, cumulative: family.type == .counter), series.value))
            case .histogram:
                let snapshot = series.histogramSnapshot()
                for (bound, count) in zip(snapshot.upperBounds, snapshot.cumulativeCounts) {
                    let withBound = labels + [("le", SampleFormatter.format(bound))]
                    result.append((key(family.name + "_bucket", withBound, cumulative: true), Double(count)))
                }
                result.append((key(family.name + "_sum", labels, cumulative: true), snapshot.sum))
                result.append((key(family.name + "_count", labels, cumulative: true), Double(snapshot.count)))
            }
        }
        return result
    }

    static func key(_ name: String, _ labels: [(String, String)], cumulative: Bool) -> SeriesKey {
        var text = name
        if !labels.isEmpty {
            text += "{" + labels.map { $0.0 + "=" + JSONText.quoted($0.1) }.joined(separator: ",") + "}"
        }
        return SeriesKey(name: name, labels: labels, key: text, cumulative: cumulative)
    }

    private static func add(_ key: SeriesKey, to state: inout State) -> Int {
        let slot = state.keys.count
        state.keys.append(key)
        state.index[key.key] = slot
        state.peaks.append(.nan)
        state.fine.addSeries(cumulative: key.cumulative)
        state.minute.addSeries(cumulative: key.cumulative)
        state.run.addSeries(cumulative: key.cumulative)
        return slot
    }

    private static func append(_ values: [Double], at now: Double, to state: inout State) {
        let count = state.keys.count
        state.fine.append(time: now, values: values)
        let cumulative = state.fine.cumulative
        // Minute points: a bucket closes when a sample falls into the next minute.
        let minuteStart = (now / 60).rounded(.down) * 60
        if let bucket = state.minuteBucket, bucket.start != minuteStart, !bucket.isEmpty {
            state.minute.append(time: bucket.lastTime, values: bucket.point(cumulative: cumulative))
        }
        if state.minuteBucket?.start != minuteStart { state.minuteBucket = HistoryBucket(start: minuteStart) }
        state.minuteBucket?.add(time: now, values: values, series: count)
        // Whole-run points, as wide as the run tier's current step.
        let width = state.run.stepSeconds
        let runStart = (now / width).rounded(.down) * width
        if let bucket = state.runBucket, bucket.start != runStart, !bucket.isEmpty {
            state.run.append(time: bucket.lastTime, values: bucket.point(cumulative: cumulative))
        }
        if state.runBucket?.start != runStart {
            state.runBucket = HistoryBucket(start: (now / state.run.stepSeconds).rounded(.down) * state.run.stepSeconds)
        }
        state.runBucket?.add(time: now, values: values, series: count)
    }

    /// Forgets the series with no point left in the full-resolution and minute tiers (a
    /// container gone for a day at the defaults), their whole-run points too: labels that
    /// come and go (one series per sandbox) must not fill `maxSeries` over a long run.
    private static func forgetGoneSeries(_ state: inout State) {
        let gone = state.keys.indices.filter { index in
            state.fine.isEmpty(series: index) && state.minute.isEmpty(series: index)
        }
        guard !gone.isEmpty else { return }
        state.fine.removeSeries(at: gone)
        state.minute.removeSeries(at: gone)
        state.run.removeSeries(at: gone)
        state.minuteBucket?.removeSeries(at: gone)
        state.runBucket?.removeSeries(at: gone)
        let goneSet = Set(gone)
        state.keys = state.keys.indices.filter { !goneSet.contains($0) }.map { state.keys[$0] }
        state.peaks = state.peaks.indices.filter { !goneSet.contains($0) }.map { state.peaks[$0] }
        state.index = Dictionary(uniqueKeysWithValues: state.keys.enumerated().map { ($1.key, $0) })
    }

    /// Samples taken so far.
    public var sampleCount: Int { state.withLock { $0.samples } }

    /// Series recorded now.
    public var seriesCount: Int { state.withLock { $0.keys.count } }

    /// Points a series has in each tier, finest first.
    public var pointCounts: [Int] { state.withLock { [$0.fine.count, $0.minute.count, $0.run.count] } }

    /// Bytes the history's points take (times, values and the open buckets).
    public var memoryBytes: Int {
        state.withLock { state in
            state.fine.bytes + state.minute.bytes + state.run.bytes
                + (state.minuteBucket?.bytes ?? 0) + (state.runBucket?.bytes ?? 0) + 8 * state.peaks.capacity
        }
    }

    /// Forgets every point and series (a loop restart keeps the history: this is for tests).
    public func removeAll() {
        state.withLock { $0 = State(settings: $0.settings) }
        champions.removeAll()
    }
}
