// Creating and removing 10,000 labeled series in FinMonCore's registry and in
// swift-prometheus 2.4.1's, in one process, printed as one JSON object.
//
//     swift run -c release RegistryBench [series] [repeats] [finmon|prometheus]
//
// The third argument runs one registry only (for a profiler such as callgrind).
// Each repeat starts from an empty registry. The exposition is rendered twice between
// creating and removing: once right after the series were added, once more unchanged.
// Times are wall-clock (ContinuousClock) in milliseconds; the driver
// (Benchmarks/bench_spine.py) reports their median and minimum.

import FinMonCore
import Prometheus

let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
let seriesCount = max(1, arguments.first ?? 10_000)
let repeats = max(1, arguments.dropFirst().first ?? 5)
let ids = (0..<seriesCount).map { "container-\(String($0, radix: 16))-\($0 &* 2_654_435_761 % 1_000_003)" }
let only = CommandLine.arguments.dropFirst(3).first
let clock = ContinuousClock()

func milliseconds(_ duration: Duration) -> Double {
    let (seconds, attoseconds) = duration.components
    return Double(seconds) * 1e3 + Double(attoseconds) * 1e-15
}

struct Round {
    var create: [Double] = []
    var emit: [Double] = []
    var emitAgain: [Double] = []
    var remove: [Double] = []
    var emittedBytes = 0

    var json: String {
        func list(_ values: [Double]) -> String {
            "[" + values.map { String($0) }.joined(separator: ",") + "]"
        }
        return "{\"create_ms\":\(list(create)),\"emit_ms\":\(list(emit)),\"emit_again_ms\":\(list(emitAgain)),\"remove_ms\":\(list(remove)),\"emitted_bytes\":\(emittedBytes)}"
    }
}

func finmonRound(into round: inout Round) throws {
    // The default per-family limit is exactly 10,000; the limit is not what is measured.
    let registry = MetricsRegistry(maxSeriesPerFamily: max(seriesCount, MetricsRegistry.defaultMaxSeriesPerFamily))
    let family = try registry.register(
        .gauge, name: "bench_series_bytes", help: "Benchmark series.", labelNames: ["container_id"])
    var start = clock.now
    for (index, id) in ids.enumerated() {
        try family.labels([id]).set(Double(index))
    }
    round.create.append(milliseconds(clock.now - start))
    start = clock.now
    let text = TextExposition.render(registry, format: .prometheusText)
    round.emit.append(milliseconds(clock.now - start))
    round.emittedBytes = text.count
    // A steady-state scrape: nothing changed, so the sorted order is reused.
    start = clock.now
    _ = TextExposition.render(registry, format: .prometheusText)
    round.emitAgain.append(milliseconds(clock.now - start))
    start = clock.now
    for id in ids {
        try family.remove([id])
    }
    round.remove.append(milliseconds(clock.now - start))
    guard family.seriesCount == 0 else { throw BenchError.leftOver(family.seriesCount) }
}

func swiftPrometheusRound(into round: inout Round) {
    let registry = PrometheusCollectorRegistry()
    let descriptor = MetricNameDescriptor(metricName: "bench_series", unitName: "bytes", helpText: "Benchmark series.")
    var gauges: [Prometheus.Gauge] = []
    gauges.reserveCapacity(seriesCount)
    var start = clock.now
    for (index, id) in ids.enumerated() {
        let gauge = registry.makeGauge(descriptor: descriptor, labels: [("container_id", id)])
        gauge.set(Double(index))
        gauges.append(gauge)
    }
    round.create.append(milliseconds(clock.now - start))
    start = clock.now
    let text = registry.emitToBuffer()
    round.emit.append(milliseconds(clock.now - start))
    round.emittedBytes = text.count
    start = clock.now
    _ = registry.emitToBuffer()
    round.emitAgain.append(milliseconds(clock.now - start))
    start = clock.now
    for gauge in gauges {
        registry.unregisterGauge(gauge)
    }
    round.remove.append(milliseconds(clock.now - start))
}

enum BenchError: Error {
    case leftOver(Int)
}

var finmon = Round()
var swiftPrometheus = Round()
// Interleaved, so a noisy neighbour on the shared machine hits both alike.
for _ in 0..<repeats {
    if only != "prometheus" { try finmonRound(into: &finmon) }
    if only != "finmon" { swiftPrometheusRound(into: &swiftPrometheus) }
}
print("{\"series\":\(seriesCount),\"repeats\":\(repeats),\"finmon_core\":\(finmon.json),\"swift_prometheus\":\(swiftPrometheus.json)}")
