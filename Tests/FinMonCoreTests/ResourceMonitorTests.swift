import Glibc
import NIOCore
import NIOPosix
import Testing
@testable import FinMonCore

/// A monitor on its own registry, with the threads `start` needs created on demand and
/// shut down by `close()`.
private final class Rig {
    let registry = MetricsRegistry()
    let catalog: MetricsCatalog
    let events = EventQueue()
    let threads: CollectorThreads
    let monitor: ResourceMonitor

    init(configuration: SystemSampler.Configuration? = nil) throws {
        catalog = try MetricsCatalog(registry: registry)
        threads = CollectorThreads(registry: registry, events: events)
        monitor = try ResourceMonitor(catalog: catalog, registry: registry, events: events, threads: threads)
        if let configuration { try monitor.configure(configuration) }
    }

    func close() {
        monitor.stop()
        threads.shutDown()
    }

    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        registry.sampleValue(name: name, labels: labels)
    }

    func errors(_ collector: SystemCollector) -> Double? {
        value("finmon_collection_errors_total", ["collector": collector.rawValue])
    }

    func drain() -> [RuntimeEvent] {
        var out: [RuntimeEvent] = []
        while let event = events.next(timeout: 0) { out.append(event) }
        return out
    }
}

private func fixture(_ root: String, cgroupRoot: String? = nil, window: Double = 60) -> SystemSampler.Configuration {
    SystemSampler.Configuration(
        procRoot: root, cgroupRoot: cgroupRoot ?? root + "/cgroup", diskPath: "/",
        rssGrowthWindowSeconds: window, ticksPerSecond: 100, pageSize: 4096)
}

/// A temporary root with the "real" fixture's files, meminfo written (or left for the test).
private func temporaryRealRoot(meminfo: Bool = true) throws -> TempProcRoot {
    let root = try TempProcRoot()
    try root.link("stat", fixture: "real")
    try root.link("zoneinfo", fixture: "real")
    try root.link("self", fixture: "real")
    try root.link("cgroup", fixture: "real")
    if meminfo { try root.write("meminfo", TempProcRoot.fixtureText("real", "meminfo")) }
    return root
}

@Suite(.serialized) struct ResourceMonitorTests {
    @Test func sampleNowPublishesEveryFamilyFromTheFixture() throws {
        let rig = try Rig(configuration: fixture(ProcFixture.root("real")))
        defer { rig.close() }
        #expect(rig.monitor.currentStats() == nil)
        let sample = rig.monitor.sampleNow()
        #expect(sample.errors.isEmpty)
        #expect(rig.monitor.currentStats() == sample)

        // meminfo: MemTotal 24684084 kB, MemAvailable 24047388 kB.
        #expect(rig.value("system_memory_usage_bytes") == Double((24_684_084 - 24_047_388) * 1024))
        #expect(rig.value("system_memory_total_bytes") == Double(24_684_084 * 1024))
        // The v1 cgroup is unlimited: the host's memory is the limit.
        #expect(rig.value("system_memory_limit_bytes") == Double(24_684_084 * 1024))
        let disk = try DiskUsage.read(path: "/")
        #expect(rig.value("system_disk_total_bytes") == Double(disk.total))
        #expect((rig.value("system_disk_usage_bytes") ?? 0) > 0)
        #expect((rig.value("system_disk_usage_percent") ?? 0) > 0)
        // self/stat: rss 406 pages, vsize 2654208, starttime 30372 ticks, btime 1795957718.
        #expect(rig.value("process_resident_memory_bytes") == Double(406 * 4096))
        #expect(rig.value("process_virtual_memory_bytes") == 2_654_208)
        #expect(rig.value("process_start_time_seconds") == 303.72 + 1_795_957_718)
        #expect(rig.value("process_open_fds") == 4)
        #expect(rig.value("process_max_fds") == 20_000)
        #expect(rig.value("process_cpu_seconds_total") == 0)
        for collector in SystemCollector.allCases {
            #expect(rig.errors(collector) == 0, "\(collector)")
        }
        #expect(rig.drain().isEmpty)

        // No CPU baseline on the first sample; the second has one, and a flat RSS.
        #expect(sample.cpuPercent == nil)
        rig.catalog.systemCPUUsagePercent.set(-1)
        let second = rig.monitor.sampleNow()
        #expect(second.cpuPercent == 0)
        #expect(rig.value("system_cpu_usage_percent") == 0)
        #expect(rig.value("process_resident_memory_growth_bytes_per_second") == 0)
    }

    @Test func aCgroupLimitBelowMemTotalIsTheLimit() throws {
        let root = try TempProcRoot()
        try root.link("meminfo", fixture: "real")
        try root.link("stat", fixture: "real")
        try root.directory("self")
        try root.link("self/cgroup", fixture: "cgroup-v2-container", target: "self/cgroup")
        let rig = try Rig(configuration: SystemSampler.Configuration(
            procRoot: root.path, cgroupRoot: ProcFixture.root("cgroup-v2-container") + "/cgroup",
            collectors: [.memory, .cgroup]))
        defer { rig.close() }
        let sample = rig.monitor.sampleNow()
        #expect(sample.errors.isEmpty)
        #expect(sample.memoryLimitBytes == 536_870_912)
        #expect(rig.value("system_memory_limit_bytes") == 536_870_912)
        #expect(rig.value("system_memory_total_bytes") == Double(24_684_084 * 1024))
        let json = try ConfigTestSupport.JSON.parse(sample.jsonObject())
        #expect(json["memory_limit_bytes"] == .number(536_870_912))
        #expect(json["cgroup_version"] == .string("v2"))
        #expect(json["cgroup_memory_usage_bytes"] != .null)
        #expect(json["disk_total_bytes"] == .null)
        #expect(json["cpu_percent"] == .null)
        #expect(json["errors"] == .object([:]))
    }

    @Test func aBrokenSourceCountsEveryFailureWarnsOnceAndRecovers() throws {
        let root = try temporaryRealRoot()
        let rig = try Rig(configuration: fixture(root.path, cgroupRoot: ProcFixture.root("real") + "/cgroup"))
        defer { rig.close() }
        rig.monitor.sampleNow()
        let usage = rig.value("system_memory_usage_bytes")
        #expect(usage == Double((24_684_084 - 24_047_388) * 1024))

        try root.write("meminfo", "MemTotal: lots kB\n")
        for _ in 0..<3 { rig.monitor.sampleNow() }
        #expect(rig.errors(.memory) == 3)
        #expect(rig.errors(.cpu) == 0)
        #expect(rig.value("system_memory_usage_bytes") == usage)  // kept, not zeroed
        let warnings = rig.drain()
        #expect(warnings.count == 1)
        let warning = try #require(warnings.first)
        #expect(warning.level == .warning)
        #expect(warning.logger == "finmon")
        #expect(warning.message.contains("memory"))
        #expect(warning.message.contains("meminfo"))
        let data = try ConfigTestSupport.JSON.parse(try #require(warning.json))
        #expect(data["collector"] == .string("memory"))
        let stats = try ConfigTestSupport.JSON.parse(try #require(rig.monitor.currentStats()).jsonObject())
        #expect(stats["memory_total_bytes"] == .null)
        #expect(stats["errors"]?["memory"] != nil)

        try root.write("meminfo", TempProcRoot.fixtureText("real", "meminfo"))
        rig.monitor.sampleNow()
        let recovery = rig.drain()
        #expect(recovery.map(\.level) == [.info])
        #expect(recovery.first?.message.contains("after 3 failed samples") == true)
        #expect(rig.errors(.memory) == 3)

        // Failing again is news again.
        try root.write("meminfo", "")
        rig.monitor.sampleNow()
        #expect(rig.drain().map(\.level) == [.warning])
        #expect(rig.errors(.memory) == 4)
    }

    @Test func processMetricsAreReadOnEveryExpositionWithoutStarting() throws {
        let rig = try Rig()
        defer { rig.close() }
        #expect(rig.value("process_resident_memory_bytes") == 0)
        rig.registry.collect()
        #expect((rig.value("process_resident_memory_bytes") ?? 0) > 1_000_000)
        #expect((rig.value("process_virtual_memory_bytes") ?? 0) > 0)
        #expect((rig.value("process_open_fds") ?? 0) >= 3)
        #expect((rig.value("process_start_time_seconds") ?? 0) > 1_500_000_000)
        #expect(rig.monitor.currentStats() == nil)  // the exposition path is not a sample

        try rig.monitor.configure(fixture(ProcFixture.root("weird-comm")))
        rig.registry.collect()
        #expect(rig.value("process_resident_memory_bytes") == Double(2500 * 4096))
        #expect(rig.value("process_cpu_seconds_total") == 18.009999999999998)

        try rig.monitor.configure(fixture(ProcFixture.root("garbage")))
        rig.registry.collect()
        rig.registry.collect()
        #expect(rig.errors(.process) == 2)
        #expect(rig.drain().map(\.level) == [.warning])
        #expect(rig.value("process_resident_memory_bytes") == Double(2500 * 4096))
    }

    @Test func exposingWithoutTheProcessSourceReadsNothing() throws {
        var configuration = fixture(ProcFixture.root("garbage"))
        configuration.collectors = [.memory]
        let rig = try Rig(configuration: configuration)
        defer { rig.close() }
        rig.registry.collect()
        #expect(rig.errors(.process) == 0)
    }

    @Test func startSamplesOnTheLoopUntilStopped() throws {
        let rig = try Rig(configuration: fixture(ProcFixture.root("real")))
        defer { rig.close() }
        rig.catalog.systemCPUUsagePercent.set(-1)
        try rig.monitor.start(intervalSeconds: 0.02)
        #expect(rig.monitor.isRunning)
        #expect(rig.monitor.intervalSeconds == 0.02)
        // Two ticks give a CPU figure (0: the fixture does not change).
        #expect(Deadline.wait(seconds: 10) { rig.value("system_cpu_usage_percent") == 0 })
        #expect(rig.value("process_resident_memory_bytes") == Double(406 * 4096))

        try rig.monitor.start(intervalSeconds: 0.05)  // reschedules
        #expect(rig.monitor.intervalSeconds == 0.05)
        let before = try #require(rig.monitor.currentStats())
        #expect(Deadline.wait(seconds: 10) { (rig.monitor.currentStats()?.monotonicTime ?? 0) > before.monotonicTime })

        rig.monitor.stop()
        #expect(!rig.monitor.isRunning)
        #expect(rig.monitor.intervalSeconds == nil)
        rig.monitor.stop()  // twice is harmless
    }

    @Test func stopReturnsWhileAReadHangsAndItsResultIsDropped() throws {
        let root = try temporaryRealRoot(meminfo: false)
        try root.fifo("meminfo")  // open(2) blocks until a writer comes
        let rig = try Rig(configuration: fixture(root.path, cgroupRoot: ProcFixture.root("real") + "/cgroup"))
        defer { rig.close() }
        try rig.monitor.start(intervalSeconds: 0.02)
        #expect(Deadline.wait(seconds: 10) { rig.monitor.isReading })
        // Later ticks are skipped, and the stall is logged once.
        #expect(Deadline.wait(seconds: 10) { rig.events.count > 0 })
        let stall = rig.drain()
        #expect(stall.map(\.level) == [.warning])
        #expect(stall.first?.message.contains("has not returned") == true)

        rig.monitor.stop()
        #expect(!rig.monitor.isRunning)
        #expect(rig.monitor.isReading)  // stop did not wait for the read

        try root.feed("meminfo", TempProcRoot.fixtureText("real", "meminfo"))
        #expect(Deadline.wait(seconds: 10) { !rig.monitor.isReading })
        #expect(rig.monitor.currentStats() == nil)  // the stopped schedule's sample was dropped
        #expect(rig.value("system_memory_total_bytes") == 0)
        #expect(rig.drain().map(\.level) == [.info])  // "sampling resumes"
    }

    @Test func reconfiguringDropsAReadInFlightAndFreesTheSampler() throws {
        let root = try temporaryRealRoot(meminfo: false)
        try root.fifo("meminfo")
        let rig = try Rig(configuration: fixture(root.path, cgroupRoot: ProcFixture.root("real") + "/cgroup"))
        defer { rig.close() }
        try rig.monitor.start(intervalSeconds: 0.02)
        #expect(Deadline.wait(seconds: 10) { rig.monitor.isReading })
        rig.monitor.stop()

        try rig.monitor.configure(fixture(ProcFixture.root("real")))
        #expect(!rig.monitor.isReading)  // the new sampler is free at once
        let fresh = rig.monitor.sampleNow()
        #expect(fresh.errors.isEmpty)
        #expect(fresh.cpuPercent == nil)  // started over: no baseline

        try root.feed("meminfo", "MemTotal: 1 kB\nMemFree: 1 kB\n")
        rig.close()  // joins the pool thread: the old read has returned
        // ... into nothing: neither the stats nor the metrics moved.
        #expect(rig.monitor.currentStats() == fresh)
        #expect(rig.value("system_memory_total_bytes") == Double(24_684_084 * 1024))
        #expect(rig.errors(.memory) == 0)
    }

    @Test func theSameConfigurationKeepsTheSamplerState() throws {
        let rig = try Rig(configuration: fixture(ProcFixture.root("real")))
        defer { rig.close() }
        rig.monitor.sampleNow()
        try rig.monitor.configure(fixture(ProcFixture.root("real")))
        #expect(rig.monitor.sampleNow().cpuPercent == 0)
        try rig.monitor.configure(fixture(ProcFixture.root("real"), window: 30))
        #expect(rig.monitor.sampleNow().cpuPercent == nil)
        #expect(rig.monitor.configuration.rssGrowthWindowSeconds == 30)
    }

    @Test func badIntervalsAndConfigurationsAreRefusedAndChangeNothing() throws {
        let rig = try Rig(configuration: fixture(ProcFixture.root("real")))
        defer { rig.close() }
        for interval in [0, -1, 0.001, .nan, .infinity, 1e9] {
            #expect(throws: ResourceMonitorError.self) {
                try rig.monitor.start(intervalSeconds: interval)
            }
        }
        #expect(!rig.monitor.isRunning)
        let good = rig.monitor.configuration
        var bad: [SystemSampler.Configuration] = []
        var missingRoot = good; missingRoot.procRoot = ProcFixture.root("does-not-exist"); bad.append(missingRoot)
        var fileRoot = good; fileRoot.procRoot = ProcFixture.root("real") + "/meminfo"; bad.append(fileRoot)
        var emptyRoot = good; emptyRoot.procRoot = ""; bad.append(emptyRoot)
        var missingDisk = good; missingDisk.diskPath = "/does/not/exist"; bad.append(missingDisk)
        var emptyDisk = good; emptyDisk.diskPath = ""; bad.append(emptyDisk)
        var traversal = good; traversal.pid = "../1"; bad.append(traversal)
        var emptyPid = good; emptyPid.pid = ""; bad.append(emptyPid)
        var window = good; window.rssGrowthWindowSeconds = 0; bad.append(window)
        for configuration in bad {
            #expect(throws: ResourceMonitorError.self) { try rig.monitor.configure(configuration) }
            #expect(rig.monitor.configuration == good)
        }
        var numeric = good
        numeric.pid = "1"
        try rig.monitor.configure(numeric)
        #expect(rig.monitor.configuration.pid == "1")
        #expect(ResourceMonitorError.invalidInterval(0).description.contains("0.01"))
        #expect(ResourceMonitorError.invalidConfiguration("x").description == "x")
    }

    @Test func theRuntimeOwnsAMonitorThatItsStopStops() throws {
        let collector = try MetricsCollector()
        defer { collector.stop() }
        try collector.resources.configure(fixture(ProcFixture.root("real")))
        try collector.resources.start(intervalSeconds: 0.02)
        #expect(Deadline.wait(seconds: 10) { collector.resources.currentStats() != nil })
        collector.stop()
        #expect(!collector.resources.isRunning)
        try collector.resources.start(intervalSeconds: 0.02)  // threads come back
        #expect(collector.resources.isRunning)
        collector.resources.forgetThreadsAfterFork()
        #expect(!collector.resources.isRunning)
    }

    @Test func cgroupRootFollowsTheProcRoot() {
        #expect(ResourceMonitor.cgroupRoot(forProcRoot: "/proc") == "/sys/fs/cgroup")
        #expect(ResourceMonitor.cgroupRoot(forProcRoot: "/proc/") == "/sys/fs/cgroup")
        #expect(ResourceMonitor.cgroupRoot(forProcRoot: "/host/proc") == "/host/sys/fs/cgroup")
        #expect(ResourceMonitor.cgroupRoot(forProcRoot: "proc") == "sys/fs/cgroup")
        #expect(ResourceMonitor.cgroupRoot(forProcRoot: "/") == "/sys/fs/cgroup")
    }

    @Test func theSampleJSONHasEveryFigure() throws {
        let rig = try Rig(configuration: fixture(ProcFixture.root("real")))
        defer { rig.close() }
        rig.monitor.sampleNow()
        let sample = rig.monitor.sampleNow()
        let json = try ConfigTestSupport.JSON.parse(sample.jsonObject())
        #expect(json["cpu_percent"] == .number(0))
        #expect(json["memory_total_bytes"] == .number(Double(24_684_084 * 1024)))
        #expect(json["memory_used_bytes"] == .number(Double((24_684_084 - 24_047_388) * 1024)))
        #expect(json["memory_limit_bytes"] == .number(Double(24_684_084 * 1024)))
        #expect(json["cgroup_version"] == .string("v1"))
        #expect(json["disk_path"] == .string("/"))
        #expect(json["process_resident_bytes"] == .number(Double(406 * 4096)))
        #expect(json["process_max_fds"] == .number(20_000))
        #expect(json["process_threads"] == .number(1))
        #expect(json["rss_growth_bytes_per_second"] == .number(0))
        #expect(json["timestamp"] == .number(sample.timestamp))

        let failed = SystemSample(
            timestamp: 1, monotonicTime: 1, attempted: [.cgroup, .disk],
            errors: [SystemCollectorError(collector: .cgroup, error: SystemReadError(path: "/x\"y", reason: .missingField("a"))),
                     SystemCollectorError(collector: .disk, error: SystemReadError(path: "/d", reason: .statvfsFailed(errno: ENOENT)))])
        let parsed = try ConfigTestSupport.JSON.parse(failed.jsonObject())
        #expect(parsed["errors"]?["cgroup"] == .string("/x\"y: missing field a"))
        #expect(parsed["errors"]?["disk"] != nil)
        #expect(parsed["cgroup_version"] == .null)
        #expect(parsed["disk_path"] == .null)
        #expect(failed.memoryLimitBytes == nil)
    }
}
