import NIOCore
import NIOPosix
import Testing
@testable import FinMonCore

/// The history's tiers, bounds and JSON, sampled by hand at chosen times.
@Suite struct MetricsHistoryTests {
    private struct Loopless: EventLoopSource {
        let group = MultiThreadedEventLoopGroup.singleton
        func withEventLoop<Value: Sendable>(_ body: (any EventLoop) -> Value) -> Value { body(group.next()) }
    }

    private func history(_ registry: MetricsRegistry, interval: Double = 5, edit: (inout MetricsHistory.Settings) -> Void = { _ in })
        -> MetricsHistory {
        var settings = MetricsHistory.Settings()
        settings.intervalSeconds = interval
        edit(&settings)
        return MetricsHistory(registry: registry, threads: Loopless(), settings: settings)
    }

    private func parse(_ text: String) throws -> JSONValue { try JSONParser.parse(text, maxBytes: 1 << 28) }

    @Test func keepsEverySampleForAnHourThenOnePointAMinute() throws {
        let registry = MetricsRegistry()
        let gauge = try registry.register(.gauge, name: "g", help: "g").labels([])
        let history = history(registry)
        let start = 1_699_999_980.0  // a multiple of 60
        // Two hours at 5 s: the fine tier holds the last 720, the minute tier one point per
        // closed minute, each the mean of its 12 samples.
        for step in 0..<1_440 {
            try gauge.set(Double(step))
            history.sample(now: start + Double(step) * 5)
        }
        #expect(history.pointCounts[0] == 720)
        #expect(history.pointCounts[1] == 119)   // minutes 0..118 closed; minute 119 is open
        let doc = try parse(history.json(now: start + 7_200))
        let times = try #require(doc["times"]?.arrayValue).compactMap(\.doubleValue)
        #expect(times == times.sorted())
        // Minute points before the fine tier, then every sample of the last hour.
        #expect(times.last == start + 1_439 * 5)
        #expect(times.suffix(720).first == start + 720 * 5)
        let minutePoints = times.prefix { $0 < start + 720 * 5 }
        #expect(minutePoints.count == 60)
        let series = try #require(doc["series"]?.arrayValue?.first { $0["name"]?.stringValue == "g" })
        let values = try #require(series["values"]?.arrayValue).map { $0.doubleValue }
        // The first minute point is minute 0: the mean of samples 0...11.
        #expect(values.first == 5.5)
        #expect(values.last == 1_439)
        #expect(series["peak"]?.doubleValue == 1_439)
    }

    @Test func theWholeRunTierHalvesItsResolutionWhenFull() throws {
        let registry = MetricsRegistry()
        let counter = try registry.register(.counter, name: "c_total", help: "c").labels([])
        let history = history(registry, interval: 60) { settings in
            settings.fullResolutionSeconds = 600
            settings.minuteSeconds = 600
            settings.runPoints = 8
            settings.runStepSeconds = 120
        }
        let start = 1_700_000_040.0
        for step in 0..<60 {
            try counter.inc()
            history.sample(now: start + Double(step) * 60)
        }
        // One hour of one-minute samples into 8 run points: 120 s buckets fill 8 points in
        // 16 minutes, then 240 s, then 480 s; the tier always spans the run.
        let counts = history.pointCounts
        #expect(counts[2] <= 8)
        let doc = try parse(history.json())
        let times = try #require(doc["times"]?.arrayValue).compactMap(\.doubleValue)
        #expect(times.first! < start + 1_000)
        let resolution = try #require(doc["resolution"]?.arrayValue)
        #expect(resolution[2]["step_seconds"]?.doubleValue == 480)
        // A counter keeps its last value when points merge: still increasing.
        let values = try #require(doc["series"]?.arrayValue?.first?["values"]?.arrayValue).compactMap(\.doubleValue)
        #expect(values == values.sorted())
        #expect(values.last == 60)
    }

    @Test func seriesAreBoundedAndGoneOnesForgotten() throws {
        let registry = MetricsRegistry()
        let family = try registry.register(.gauge, name: "per", help: "p", labelNames: ["k"])
        let history = history(registry, interval: 60) { settings in
            settings.maxSeries = 3
            settings.fullResolutionSeconds = 120   // 2 points
            settings.minuteSeconds = 120
            settings.runPoints = 2
            settings.runStepSeconds = 60
        }
        for name in ["a", "b", "c", "d"] { try family.labels([name]).set(1) }
        history.sample(now: 0)
        #expect(history.seriesCount == 3)
        let dropped = try parse(history.json())["dropped_series"]?.doubleValue
        #expect(dropped == 1)
        for name in ["a", "b", "c", "d"] { _ = try family.remove([name]) }
        // Every point of the gone series rolls out of the hour and day tiers; then they are
        // forgotten, whole-run points included.
        for minute in 1...8 { history.sample(now: Double(minute) * 60) }
        #expect(history.seriesCount == 0)
    }

    @Test func histogramsAreRecordedAsBucketsSumAndCount() throws {
        let registry = MetricsRegistry()
        let histogram = try registry.register(.histogram, name: "h_seconds", help: "h", buckets: [1, 2]).labels([])
        try histogram.observe(1.5)
        let history = history(registry)
        history.sample(now: 10)
        let doc = try parse(history.json())
        let names = try #require(doc["series"]?.arrayValue).compactMap { $0["name"]?.stringValue }
        #expect(names == ["h_seconds_bucket", "h_seconds_bucket", "h_seconds_bucket", "h_seconds_sum", "h_seconds_count"])
        let les = try #require(doc["series"]?.arrayValue).compactMap { $0["labels"]?["le"]?.stringValue }
        #expect(les == ["1.0", "2.0", "+Inf"])
    }

    @Test func afterGivesOnlyNewerPointsAndOmitsSeriesWithoutThem() throws {
        let registry = MetricsRegistry()
        let gauge = try registry.register(.gauge, name: "g", help: "g").labels([])
        let history = history(registry)
        try gauge.set(1)
        history.sample(now: 100)
        try gauge.set(2)
        history.sample(now: 105)
        let doc = try parse(history.json(after: 100))
        #expect(try #require(doc["times"]?.arrayValue).compactMap(\.doubleValue) == [105])
        #expect(try #require(doc["series"]?.arrayValue?.first?["values"]?.arrayValue).compactMap(\.doubleValue) == [2])
        let none = try parse(history.json(after: 105))
        #expect(none["times"]?.arrayValue?.isEmpty == true)
        #expect(none["series"]?.arrayValue?.isEmpty == true)
    }

    @Test func alertSpansOpenAndCloseWithTheActiveAlerts() {
        var timeline = AlertTimeline(capacity: 2)
        let event = AlertEvent(alertType: .loopStuck, severity: .critical, status: .firing, message: "stuck",
                               currentValue: 1, thresholdValue: 0, epochSeconds: 50, startsAtEpochSeconds: 50,
                               iterationContext: nil)
        timeline.observe(active: [event], at: 55)
        timeline.observe(active: [event], at: 60)
        #expect(timeline.spans == [AlertTimeline.Span(alertType: "loop_stuck", severity: "critical", message: "stuck",
                                                      firedAt: 50, resolvedAt: nil)])
        timeline.observe(active: [], at: 65)
        #expect(timeline.spans.first?.resolvedAt == 65)
        let again = AlertEvent(alertType: .memoryLeak, severity: .warning, status: .firing, message: "leak",
                               currentValue: 1, thresholdValue: 0, epochSeconds: 70, startsAtEpochSeconds: 70,
                               iterationContext: 3)
        timeline.observe(active: [again], at: 70)
        timeline.observe(active: [event], at: 80)  // a new span of loop_stuck (same start: the old one closed)
        #expect(timeline.spans.count == 2)
        #expect(timeline.fired == 3)
        #expect(timeline.json().contains("\"alert_type\": \"memory_leak\""))
    }

    @Test func theChampionLogKeepsTheNewestUpdates() {
        let log = ChampionLog(capacity: 2)
        log.record(iteration: 1, sharpe: 0.5, epochSeconds: 1)
        log.record(iteration: 4, sharpe: 0.7, epochSeconds: 2)
        log.record(iteration: 9, sharpe: nil, epochSeconds: 3)
        #expect(log.updates.map(\.iteration) == [4, 9])
        #expect(log.total == 3)
        #expect(log.json() == "[{\"time\": 2.0, \"iteration\": 4, \"sharpe\": 0.7}, {\"time\": 3.0, \"iteration\": 9, \"sharpe\": null}]")
    }

    @Test func theDiversityMonitorLogsEveryChampionUpdate() throws {
        let collector = try MetricsCollector()
        defer { collector.stop() }
        try collector.diversity.recordChampionUpdate(iteration: 3, oldSharpe: nil, newSharpe: 1.25)
        try collector.diversity.recordChampionUpdate(iteration: 8, oldSharpe: 1.25, newSharpe: 1.5)
        #expect(collector.history.champions.updates.map(\.iteration) == [3, 8])
        #expect(collector.history.champions.updates.map(\.sharpe) == [1.25, 1.5])
    }

    @Test func theJobSamplesOnTheEventLoopUntilStopped() throws {
        let collector = try MetricsCollector()
        defer { collector.stop() }
        var settings = MetricsHistory.Settings()
        settings.intervalSeconds = 0.02
        collector.history.configure(settings)
        collector.history.start()
        #expect(Deadline.wait(seconds: 10) { collector.history.sampleCount >= 3 })
        collector.history.stop()
        #expect(!collector.history.isRunning)
        #expect(collector.history.seriesCount > 30)   // the catalog
        #expect(collector.history.memoryBytes > 0)
    }
}
