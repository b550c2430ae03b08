// The history's memory and sampling cost: 1,000 series sampled every 5 s for 24 hours
// (17,280 samples, simulated time), at the default resolution. Prints one JSON object
// for Benchmarks/bench_history.py.
//
//     swift build -c release --package-path Benchmarks/swift --product HistoryBench
//     Benchmarks/swift/.build/release/HistoryBench [series] [hours]
import FinMonCore
import Glibc

func residentBytes() -> Int {
    guard let file = fopen("/proc/self/statm", "r") else { return 0 }
    defer { fclose(file) }
    var size = 0, resident = 0
    _ = withUnsafeMutablePointer(to: &size) { s in
        withUnsafeMutablePointer(to: &resident) { r in
            withVaList([s, r]) { vfscanf(file, "%ld %ld", $0) }
        }
    }
    return resident * Int(sysconf(Int32(_SC_PAGESIZE)))
}

/// This thread's CPU time: on a shared machine, wall time would count other jobs' turns.
func seconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

let arguments = CommandLine.arguments
let wanted = arguments.count > 1 ? Int(arguments[1]) ?? 1_000 : 1_000
let hours = arguments.count > 2 ? Double(arguments[2]) ?? 24 : 24

let collector = try MetricsCollector()
let history = collector.history
let interval = history.settings.intervalSeconds
let start = 1_800_000_000.0
// The catalog's series count toward the 1,000; the rest are plain gauges.
history.sample(now: start - interval)
let catalogSeries = history.seriesCount
var gauges: [Series] = []
while history.seriesCount < wanted {
    let index = gauges.count
    gauges.append(try collector.registry.register(.gauge, name: "bench_gauge_\(index)", help: "bench").labels([]))
    if gauges.count >= wanted - catalogSeries { history.sample(now: start - interval) }
}
history.removeAll()
let rssBefore = residentBytes()
let samples = Int(hours * 3_600 / interval)
var state: UInt64 = 0x9E37_79B9_7F4A_7C15
var sampleTimes: [Double] = []
sampleTimes.reserveCapacity(samples)
for step in 0..<samples {
    for gauge in gauges {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        try gauge.set(Double(state >> 11) / Double(1 << 53))
    }
    let before = seconds()
    history.sample(now: start + Double(step) * interval)
    sampleTimes.append(seconds() - before)
}
let rssAfter = residentBytes()
sampleTimes.sort()
let now = start + Double(samples - 1) * interval
var renderFull = Double.infinity, renderPoll = Double.infinity
var fullBytes = 0, pollBytes = 0
for _ in 0..<5 {
    var t = seconds()
    fullBytes = history.json(now: now).utf8.count
    renderFull = min(renderFull, seconds() - t)
    t = seconds()
    pollBytes = history.json(after: now - interval, now: now).utf8.count
    renderPoll = min(renderPoll, seconds() - t)
}
print("""
{"series": \(history.seriesCount), "hours": \(hours), "interval_seconds": \(interval), "samples": \(samples),
 "points_per_series": \(history.pointCounts), "history_bytes": \(history.memoryBytes),
 "rss_growth_bytes": \(rssAfter - rssBefore),
 "sample_seconds_median": \(sampleTimes[sampleTimes.count / 2]), "sample_seconds_p99": \(sampleTimes[sampleTimes.count * 99 / 100]),
 "full_json_bytes": \(fullBytes), "full_json_seconds": \(renderFull),
 "poll_json_bytes": \(pollBytes), "poll_json_seconds": \(renderPoll)}
""")
