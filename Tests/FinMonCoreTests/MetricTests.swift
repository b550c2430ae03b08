import Testing

@testable import FinMonCore

@Suite struct MetricTests {
    private let registry = MetricsRegistry()

    @Test func typedHandlesWriteWithoutFailing() throws {
        let gauge = try Metric<Gauge>(registry.register(.gauge, name: "g", help: "g"))
        gauge.set(5)
        gauge.inc(2)
        gauge.dec(0.5)
        #expect(gauge.value == 6.5 && gauge.name == "g")
        gauge.set(.nan)
        #expect(gauge.value.isNaN)

        let counter = try Metric<Counter>(registry.register(.counter, name: "c_total", help: "c"))
        counter.inc()
        counter.inc(by: 4)
        counter.inc(by: -3)  // a counter only goes up
        counter.inc(by: 0)
        #expect(counter.value == 5)
        counter.store(42)
        #expect(counter.value == 42)

        let histogram = try Metric<Histogram>(registry.register(.histogram, name: "h", help: "h", buckets: [1, 2]))
        #expect(histogram.observe(1.5))
        #expect(!histogram.observe(.nan))
        #expect(histogram.snapshot().cumulativeCounts == [0, 1, 1] && histogram.value == 1)
    }

    @Test func aHandleOfTheWrongKindOrShapeIsRefusedWhenMade() throws {
        let gauge = try registry.register(.gauge, name: "g", help: "g")
        let labeled = try registry.register(.gauge, name: "l", help: "l", labelNames: ["a"])
        #expect(throws: MetricsError.wrongType(metric: "g", type: .gauge, operation: "a histogram handle")) {
            try Metric<Histogram>(gauge)
        }
        #expect(throws: MetricsError.self) { try Metric<Gauge>(labeled) }
        #expect(throws: MetricsError.self) { try LabeledMetric<Gauge>(gauge) }
        #expect(throws: MetricsError.self) { try LabeledMetric<Counter>(labeled) }
        // The untyped series keeps its run-time check, as the C ABI needs.
        #expect(throws: MetricsError.wrongType(metric: "g", type: .gauge, operation: "observe")) {
            try Metric<Gauge>(gauge).series.observe(1)
        }
    }

    @Test func labeledChildrenAreCreatedFoundAndRemoved() throws {
        let family = try LabeledMetric<Gauge>(registry.register(.gauge, name: "l", help: "l", labelNames: ["id"]))
        try family.labels(["a"]).set(1)
        family.child(["b"]).set(2)
        #expect(family.seriesCount == 2 && family.name == "l")
        #expect(family.existing(["a"])?.value == 1 && family.existing(["c"]) == nil)
        #expect(throws: MetricsError.self) { try family.labels(["a", "b"]) }
        family.remove(["a"])
        family.remove(["a", "b"])  // a wrong count finds nothing
        #expect(family.seriesCount == 1 && family.existing(["a"]) == nil)
    }

    @Test func aChildTheFamilyRefusesWritesToTheDetachedSink() throws {
        let family = try LabeledMetric<Counter>(registry.register(.counter, name: "x_total", help: "x", labelNames: ["id"]))
        let refused = family.child(["a", "b"])
        refused.inc()
        #expect(refused.series === family.family.overflowSink && refused.series.isDetached)
        #expect(family.seriesCount == 0)
    }
}
