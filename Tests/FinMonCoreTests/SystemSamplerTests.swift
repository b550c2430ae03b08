import Testing
@testable import FinMonCore

private func fixtureSampler(_ name: String, diskPath: String = "/", collectors: Set<SystemCollector> = Set(SystemCollector.allCases)) throws -> SystemSampler {
    let root = ProcFixture.root(name)
    return try SystemSampler(configuration: .init(
        procRoot: root, cgroupRoot: root + "/cgroup", diskPath: diskPath, collectors: collectors,
        rssGrowthWindowSeconds: 60, ticksPerSecond: 100, pageSize: 4096))
}

@Test func realFixtureTickFillsEverySource() throws {
    var sampler = try fixtureSampler("real")
    let first = sampler.sample(timestamp: 1_800_000_000, monotonicTime: 10)
    #expect(first.errors.isEmpty)
    #expect(first.attempted == [.cpu, .memory, .disk, .process, .cgroup])
    #expect(first.succeeded == first.attempted)
    #expect(first.timestamp == 1_800_000_000)
    #expect(first.cpuTimes?.user == 234.23)
    #expect(first.cpuPercent == nil)
    #expect(first.memory?.total == 24_684_084 * 1024)
    #expect(first.disk?.path == "/")
    #expect(first.process?.residentBytes == 406 * 4096)
    #expect(first.cgroupMemory?.version == .v1)
    #expect(first.cgroupMemory?.usageBytes == 3_551_232)
    #expect(first.rssGrowthBytesPerSecond == nil)

    // Same files again: no CPU time elapsed (psutil's 0.0) and a flat RSS.
    let second = sampler.sample(timestamp: 1_800_000_005, monotonicTime: 15)
    #expect(second.cpuPercent == 0)
    #expect(second.rssGrowthBytesPerSecond == 0)
}

@Test func failingSourcesAreReportedAndTheRestStand() throws {
    let missingDisk = ProcFixture.root("does-not-exist")
    var sampler = try fixtureSampler("weird-comm", diskPath: missingDisk)
    let sample = sampler.sample(timestamp: 1, monotonicTime: 1)
    #expect(sample.errors.map(\.collector) == [.memory, .disk])
    #expect(sample.errors.first?.error.path == ProcFixture.root("weird-comm") + "/meminfo")
    #expect(sample.succeeded == [.cpu, .process, .cgroup])
    #expect(sample.memory == nil)
    #expect(sample.disk == nil)
    #expect(sample.process?.threads == 7)
    // The v2 cgroup named in self/cgroup has no files under this root: nothing to report, no error.
    #expect(sample.cgroupMemory == nil)
}

@Test func errorsFeedTheLatchOneWarningPerSourceUntilRecovery() throws {
    var sampler = try fixtureSampler("truncated", collectors: [.cpu, .memory, .process])
    var latch = WarningLatch<SystemCollector>()
    var warnings: [SystemCollector] = []
    for tick in 0..<3 {
        let sample = sampler.sample(timestamp: Double(tick), monotonicTime: Double(tick))
        #expect(sample.errors.count == 3)
        for error in sample.errors where latch.recordFailure(error.collector) {
            warnings.append(error.collector)
        }
    }
    #expect(warnings == [.cpu, .memory, .process])
}

@Test func onlyConfiguredCollectorsAreAttempted() throws {
    var sampler = try fixtureSampler("real", collectors: [.memory])
    let sample = sampler.sample(timestamp: 0, monotonicTime: 0)
    #expect(sample.attempted == [.memory])
    #expect(sample.cpuTimes == nil)
    #expect(sample.process == nil)
    #expect(sample.memory != nil)
}

@Test func processWithoutCPUStillGetsItsBootTime() throws {
    var sampler = try fixtureSampler("weird-comm", collectors: [.process])
    let sample = sampler.sample(timestamp: 0, monotonicTime: 0)
    #expect(sample.errors.isEmpty)
    #expect(sample.process?.startTimeSeconds == 1_700_002_500)
}

@Test func invalidGrowthWindowIsAConfigurationError() {
    #expect(throws: RSSGrowthEstimator.ConfigurationError.invalidWindow(-1)) {
        try SystemSampler(configuration: .init(rssGrowthWindowSeconds: -1))
    }
}

@Test func liveMachineSamplesWithoutErrors() throws {
    var sampler = try SystemSampler()
    let first = sampler.sample()
    #expect(first.errors.isEmpty, "\(first.errors)")
    #expect(first.timestamp > 1_000_000_000)
    let second = sampler.sample()
    #expect(second.errors.isEmpty, "\(second.errors)")
    let percent = try #require(second.cpuPercent)
    #expect(percent >= 0 && percent <= 100)
    #expect(second.monotonicTime >= first.monotonicTime)
    #expect(second.rssGrowthBytesPerSecond != nil)
}
