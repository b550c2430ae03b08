import Testing

@testable import FinMonCore

@Suite struct ContainerStatsCalculatorTests {
    private func cpu(
        total: UInt64?, system: UInt64?, online: Int? = nil, perCPU: [UInt64]? = nil
    ) -> ContainerStatsSample {
        ContainerStatsSample(cpuTotalUsage: total, systemCPUUsage: system, onlineCPUs: online, perCPUUsage: perCPU)
    }

    // MARK: CPU

    @Test func firstSampleHasNoCPUPercent() {
        var calculator = ContainerStatsCalculator()
        #expect(calculator.record(id: "a", sample: cpu(total: 1_000, system: 10_000, online: 4)).cpuPercent == nil)
        #expect(calculator.trackedIDs == ["a"])
    }

    @Test func cpuPercentUsesOnlineCPUs() {
        var calculator = ContainerStatsCalculator()
        _ = calculator.record(id: "a", sample: cpu(total: 1_000_000_000, system: 10_000_000_000, online: 4))
        // cpu delta 0.5 s over 2 s of system time, 4 CPUs: 0.25 * 4 * 100
        let usage = calculator.record(id: "a", sample: cpu(total: 1_500_000_000, system: 12_000_000_000, online: 4))
        #expect(usage.cpuPercent == 100.0)
    }

    @Test func withoutOnlineCPUsThePerCPUCountIsUsed() {
        var calculator = ContainerStatsCalculator()
        _ = calculator.record(id: "a", sample: cpu(total: 0, system: 0, perCPU: [0, 0]))
        let usage = calculator.record(id: "a", sample: cpu(total: 500, system: 2_000, perCPU: [200, 300]))
        #expect(usage.cpuPercent == 50.0)  // 0.25 * 2 * 100
    }

    @Test func zeroOnlineCPUsAlsoFallsBackToPerCPU() {
        var calculator = ContainerStatsCalculator()
        _ = calculator.record(id: "a", sample: cpu(total: 0, system: 0, online: 0, perCPU: [0, 0, 0]))
        let usage = calculator.record(id: "a", sample: cpu(total: 500, system: 2_000, online: 0, perCPU: [1, 2, 3]))
        #expect(usage.cpuPercent == 75.0)  // 0.25 * 3 * 100
    }

    @Test func withNeitherCountOneCPUIsAssumed() {
        var calculator = ContainerStatsCalculator()
        _ = calculator.record(id: "a", sample: cpu(total: 0, system: 0, perCPU: []))
        let usage = calculator.record(id: "a", sample: cpu(total: 500, system: 2_000))
        #expect(usage.cpuPercent == 25.0)
        #expect(ContainerStatsCalculator.onlineCPUs(ContainerStatsSample()) == 1)
    }

    @Test func idleContainerIsZeroNotNil() {
        var calculator = ContainerStatsCalculator()
        _ = calculator.record(id: "a", sample: cpu(total: 700, system: 1_000, online: 2))
        #expect(calculator.record(id: "a", sample: cpu(total: 700, system: 3_000, online: 2)).cpuPercent == 0.0)
    }

    @Test func cpuCounterGoingBackwardsIsNilAndBecomesTheNewBaseline() {
        var calculator = ContainerStatsCalculator()
        _ = calculator.record(id: "a", sample: cpu(total: 9_000, system: 100_000, online: 1))
        // Container restarted: its cgroup counter starts again from zero.
        #expect(calculator.record(id: "a", sample: cpu(total: 100, system: 110_000, online: 1)).cpuPercent == nil)
        // Measured from the reset point: 400 / 10_000 * 1 * 100
        #expect(calculator.record(id: "a", sample: cpu(total: 500, system: 120_000, online: 1)).cpuPercent == 4.0)
    }

    @Test func systemCounterGoingBackwardsOrStallingIsNil() {
        var calculator = ContainerStatsCalculator()
        _ = calculator.record(id: "a", sample: cpu(total: 100, system: 50_000, online: 1))
        #expect(calculator.record(id: "a", sample: cpu(total: 200, system: 40_000, online: 1)).cpuPercent == nil)
        #expect(calculator.record(id: "a", sample: cpu(total: 300, system: 40_000, online: 1)).cpuPercent == nil)
    }

    @Test func sampleWithoutCountersKeepsTheOlderBaseline() {
        var calculator = ContainerStatsCalculator()
        _ = calculator.record(id: "a", sample: cpu(total: 0, system: 0, online: 1))
        #expect(calculator.record(id: "a", sample: cpu(total: nil, system: 5_000, online: 1)).cpuPercent == nil)
        #expect(calculator.record(id: "a", sample: cpu(total: 1_000, system: nil, online: 1)).cpuPercent == nil)
        // 1_000 / 10_000 * 1 * 100 against the first sample
        #expect(calculator.record(id: "a", sample: cpu(total: 1_000, system: 10_000, online: 1)).cpuPercent == 10.0)
    }

    @Test func containersAreTrackedSeparately() {
        var calculator = ContainerStatsCalculator()
        _ = calculator.record(id: "a", sample: cpu(total: 0, system: 0, online: 1))
        #expect(calculator.record(id: "b", sample: cpu(total: 5_000, system: 10_000, online: 1)).cpuPercent == nil)
        #expect(calculator.record(id: "a", sample: cpu(total: 5_000, system: 10_000, online: 1)).cpuPercent == 50.0)
    }

    @Test func forgetDropsTheBaseline() {
        var calculator = ContainerStatsCalculator()
        _ = calculator.record(id: "a", sample: cpu(total: 0, system: 0, online: 1))
        calculator.forget(id: "a")
        #expect(calculator.trackedIDs.isEmpty)
        #expect(calculator.record(id: "a", sample: cpu(total: 5_000, system: 10_000, online: 1)).cpuPercent == nil)
    }

    @Test func retainOnlyDropsVanishedContainers() {
        var calculator = ContainerStatsCalculator()
        for id in ["a", "b", "c"] {
            _ = calculator.record(id: id, sample: cpu(total: 0, system: 0))
        }
        calculator.retainOnly(["b", "z"])
        #expect(calculator.trackedIDs == ["b"])
    }

    @Test func hugeCountersDoNotTrap() {
        var calculator = ContainerStatsCalculator()
        _ = calculator.record(id: "a", sample: cpu(total: 0, system: 0, online: Int.max))
        let usage = calculator.record(id: "a", sample: cpu(total: UInt64.max, system: UInt64.max, online: Int.max))
        #expect(usage.cpuPercent != nil)
        #expect(calculator.record(id: "a", sample: cpu(total: 0, system: 0, online: 1)).cpuPercent == nil)
    }

    // MARK: Memory

    private static let mib: UInt64 = 1 << 20

    @Test func cgroupV2SubtractsInactiveFile() {
        let sample = ContainerStatsSample(
            memoryUsage: 100 * Self.mib, memoryLimit: 200 * Self.mib, inactiveFile: 40 * Self.mib)
        var calculator = ContainerStatsCalculator()
        let usage = calculator.record(id: "a", sample: sample)
        #expect(usage.memoryUsageBytes == 60 * Self.mib)
        #expect(usage.memoryLimitBytes == 200 * Self.mib)
        #expect(usage.memoryPercent == 30.0)
    }

    @Test func cgroupV1SubtractsTotalInactiveFileInPreferenceToInactiveFile() {
        let sample = ContainerStatsSample(
            memoryUsage: 100 * Self.mib, memoryLimit: 200 * Self.mib, inactiveFile: 10 * Self.mib,
            totalInactiveFile: 30 * Self.mib)
        #expect(ContainerStatsCalculator.memoryUsageNoCache(sample) == 70 * Self.mib)
        var calculator = ContainerStatsCalculator()
        #expect(calculator.record(id: "a", sample: sample).memoryPercent == 35.0)
    }

    @Test func cacheLargerThanUsageNeverGoesBelowZero() {
        // Neither key is below usage: usage is reported as is, as the docker CLI does.
        let both = ContainerStatsSample(memoryUsage: 10, inactiveFile: 10, totalInactiveFile: 50)
        #expect(ContainerStatsCalculator.memoryUsageNoCache(both) == 10)
        // v1 key too large, the v2 key still applies (the CLI falls through).
        let fallThrough = ContainerStatsSample(memoryUsage: 100, inactiveFile: 30, totalInactiveFile: 150)
        #expect(ContainerStatsCalculator.memoryUsageNoCache(fallThrough) == 70)
        let zero = ContainerStatsSample(memoryUsage: 0, inactiveFile: 0)
        #expect(ContainerStatsCalculator.memoryUsageNoCache(zero) == 0)
    }

    @Test func withoutCacheStatsUsageIsTakenAsIs() {
        #expect(ContainerStatsCalculator.memoryUsageNoCache(ContainerStatsSample(memoryUsage: 417_792)) == 417_792)
    }

    @Test func missingUsageOrLimitGivesNil() {
        var calculator = ContainerStatsCalculator()
        let noUsage = calculator.record(id: "a", sample: ContainerStatsSample(memoryLimit: 100))
        #expect(noUsage.memoryUsageBytes == nil)
        #expect(noUsage.memoryPercent == nil)
        #expect(ContainerStatsCalculator.memoryPercent(usage: 5, limit: 0) == nil)
        #expect(ContainerStatsCalculator.memoryPercent(usage: 5, limit: nil) == nil)
        #expect(ContainerStatsCalculator.memoryPercent(usage: 5, limit: 20) == 25.0)
    }
}
