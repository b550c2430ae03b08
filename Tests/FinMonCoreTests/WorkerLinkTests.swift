import Glibc
import Testing
@testable import FinMonCore

/// A multiprocess run inside one test process: the parent's link, and "workers" that are
/// links attached to the same segment (each with its own slot, as another process has).
/// Forked and spawned workers, and dead ones, are the Python tests' (test_multiprocess.py).
@Suite(.serialized) struct WorkerLinkTests {
    private func text(_ registry: MetricsRegistry) -> String {
        TextExposition.renderString(registry, format: .prometheusText)
    }

    @Test func workersCountersAndHistogramsAddUpAndStayAfterTheyDetach() throws {
        let parentLink = try WorkerLink.create(slots: 4)
        let parent = MetricsRegistry(multiprocess: parentLink)
        let jobs = try parent.register(.counter, name: "jobs_total", help: "Jobs.", labelNames: ["kind"])
        try jobs.labels(["a"]).inc(2)
        let size = parentLink.segment.size
        for round in 1...20 {  // more workers than slots: each slot is reused
            let workerLink = try WorkerLink.attach(path: parentLink.segment.path)
            let worker = MetricsRegistry(multiprocess: workerLink)
            try worker.register(.counter, name: "jobs_total", help: "Jobs.", labelNames: ["kind"]).labels(["a"]).inc(3)
            let seconds = try worker.register(.histogram, name: "job_seconds", help: "Time.", buckets: [0.1, 1])
            try seconds.labels([]).observe(0.5)
            parent.collect()
            #expect(parent.sampleValue(name: "jobs_total", labels: ["kind": "a"]) == Double(2 + 3 * round))
            workerLink.detachForTests()
        }
        parent.collect()
        #expect(parent.sampleValue(name: "jobs_total", labels: ["kind": "a"]) == 62)
        // A family only the workers defined is registered in the parent from the segment.
        #expect(parent.sampleValue(name: "job_seconds_count") == 20)
        #expect(parent.sampleValue(name: "job_seconds_bucket", labels: ["le": "1.0"]) == 20)
        #expect(parent.sampleValue(name: "job_seconds_bucket", labels: ["le": "0.1"]) == 0)
        #expect(parent.sampleValue(name: "job_seconds_sum") == 10)
        #expect(text(parent).contains("jobs_total{kind=\"a\"} 62.0\n"))
        #expect(parentLink.segment.size == size && parentLink.segment.liveSlots.count == 1)
        #expect(parentLink.info["folded_workers"] == 20 && parentLink.info["unmirrored_writes"] == 0)
    }

    @Test(arguments: [(GaugeMode.latest, 7.0), (.sum, 13.0), (.max, 7.0), (.min, 2.0)])
    func gaugesCombineByMode(mode: GaugeMode, expected: Double) throws {
        let parentLink = try WorkerLink.create(slots: 4, gaugeMode: mode)
        let parent = MetricsRegistry(multiprocess: parentLink)
        try parent.register(.gauge, name: "depth", help: "Depth.").labels([]).set(4)
        var workers: [WorkerLink] = []
        for reading in [2.0, 7.0] {
            let link = try WorkerLink.attach(path: parentLink.segment.path)
            try MetricsRegistry(multiprocess: link).register(.gauge, name: "depth", help: "Depth.").labels([]).set(reading)
            workers.append(link)
        }
        parent.collect()
        #expect(parent.sampleValue(name: "depth") == expected)
        for link in workers { link.detachForTests() }
        parent.collect()
        #expect(parent.sampleValue(name: "depth") == 4)  // only the parent's own reading is left
    }

    @Test func workerModeShowsOneSeriesPerLiveProcessLabeledBySlot() throws {
        let parentLink = try WorkerLink.create(slots: 4)
        parentLink.setGaugeMode(.worker, for: "depth")
        let parent = MetricsRegistry(multiprocess: parentLink)
        try parent.register(.gauge, name: "depth", help: "Depth.", labelNames: ["queue"]).labels(["q"]).set(4)
        var workers: [WorkerLink] = []
        for reading in [2.0, 7.0] {
            let link = try WorkerLink.attach(path: parentLink.segment.path)
            try MetricsRegistry(multiprocess: link).register(.gauge, name: "depth", help: "Depth.", labelNames: ["queue"])
                .labels(["q"]).set(reading)
            workers.append(link)
        }
        let slots = [parentLink.currentSlot] + workers.map(\.currentSlot)
        var shown = text(parent)
        for (slot, reading) in zip(slots, ["4.0", "2.0", "7.0"]) {
            #expect(shown.contains("depth{queue=\"q\",worker=\"\(slot)\"} \(reading)\n"))
        }
        #expect(parent.sampleValue(name: "depth", labels: ["queue": "q", "worker": String(slots[2])]) == 7)
        #expect(parent.sampleValue(name: "depth", labels: ["queue": "q"]) == 7)  // the latest reading
        workers[1].detachForTests()
        shown = text(parent)
        #expect(!shown.contains("worker=\"\(slots[2])\"") && shown.contains("worker=\"\(slots[1])\"} 2.0\n"))
        #expect(shown.components(separatedBy: "\n").filter { $0.hasPrefix("depth{") }.count == 2)
        workers[0].detachForTests()
    }

    @Test func aSegmentLeftByADeadParentIsRemovedByTheNextRun() throws {
        let folder = try ConfigTestSupport.TemporaryDirectory()
        defer { folder.remove() }
        let live = try WorkerSegment.create(slots: 1, entries: 1, valuesPerSlot: 1, directory: folder.path)
        // A dead parent's segment: this process's header with a start time no process has.
        let dead = try WorkerSegment.create(slots: 1, entries: 1, valuesPerSlot: 1, directory: folder.path)
        dead.forgeOwnerStartForTests(1)
        try AtomicFile.write(Array("not a segment".utf8), to: folder.path + "/finmon-1-abc")
        try AtomicFile.write(Array(repeating: 0, count: 4096), to: folder.path + "/other-file")
        #expect(WorkerSegment.removeStale(in: folder.path) == 1)
        #expect(access(live.path, F_OK) == 0 && access(dead.path, F_OK) != 0)
        #expect(access(folder.path + "/finmon-1-abc", F_OK) == 0 && access(folder.path + "/other-file", F_OK) == 0)
        live.unlink()
    }

    @Test func aFullSegmentLeavesTheSeriesLocalAndCountsIt() throws {
        let parentLink = try WorkerLink.create(slots: 1)
        #expect(throws: MultiprocessError.full(slots: 1)) { try WorkerLink.attach(path: parentLink.segment.path) }
        #expect(throws: MultiprocessError.self) { try WorkerLink.attach(path: "/nonexistent-finmon-segment") }
        let bogus = try ConfigTestSupport.TemporaryDirectory()
        defer { bogus.remove() }
        try AtomicFile.write(Array(repeating: 0, count: 4096), to: bogus.path + "/segment")
        #expect(throws: MultiprocessError.invalid("\(bogus.path)/segment is not a finmon segment")) {
            try WorkerLink.attach(path: bogus.path + "/segment")
        }
    }

    @Test func payloadsRoundTrip() {
        let payload = SeriesPayload(name: "job_seconds", help: String(repeating: "h", count: 300), type: .histogram,
                                    labelNames: ["kind"], labelValues: ["a\"b"], bounds: [0.1, 1, .infinity])
        let decoded = SeriesPayload.decode(payload.encoded)
        #expect(decoded?.help.count == SeriesPayload.helpLimit && decoded?.bounds == [0.1, 1, .infinity])
        #expect(decoded?.labelValues == ["a\"b"] && decoded?.type == .histogram)
        #expect(SeriesPayload.decode(Array("{}".utf8)) == nil)
    }

    @Test func processIdentityKnowsThisProcessAndNotAGoneOne() {
        let me = ProcessIdentity.current()
        #expect(me.start > 0 && ProcessIdentity.isAlive(pid: me.pid, start: me.start))
        #expect(!ProcessIdentity.isAlive(pid: me.pid, start: me.start + 1))  // a recycled pid
        #expect(!ProcessIdentity.isAlive(pid: 0) && !ProcessIdentity.isAlive(pid: Int32.max))
    }
}
