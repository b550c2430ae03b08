import Glibc
import Testing
@testable import FinMonCore

/// The settings a sampler re-reads only every `SystemSampler.settingsRefreshTicks` ticks:
/// the open-files limit and the cgroup's membership, directory and limit.
@Suite struct SystemSettingsCacheTests {
    /// A proc root with the real fixture's files and a writable limits file and v2 cgroup.
    private func makeRoot() throws -> TempProcRoot {
        let root = try TempProcRoot()
        for name in ["stat", "meminfo", "zoneinfo"] { try root.link(name, fixture: "real") }
        try root.directory("self")
        for name in ["self/stat", "self/status", "self/fd"] { try root.link(name, fixture: "real") }
        try root.write("self/limits", Self.limits(1000))
        try root.write("self/cgroup", "0::/app\n")
        try root.directory("cgroup")
        try root.directory("cgroup/app")
        try root.write("cgroup/app/memory.max", "500\n")
        try root.write("cgroup/app/memory.current", "100\n")
        return root
    }

    private static func limits(_ soft: Int) -> String {
        "Limit                     Soft Limit           Hard Limit           Units     \n"
            + "Max open files            \(soft)                 4096                 files     \n"
    }

    private func sampler(_ root: TempProcRoot) throws -> SystemSampler {
        try SystemSampler(configuration: .init(
            procRoot: root.path, cgroupRoot: root.path + "/cgroup", ticksPerSecond: 100, pageSize: 4096))
    }

    @Test func changedLimitsShowOnTheRefreshTickAndUsageEveryTick() throws {
        let root = try makeRoot()
        var sampler = try sampler(root)
        var tick = 0.0
        func next() -> SystemSample {
            tick += 1
            return sampler.sample(timestamp: tick, monotonicTime: tick)
        }
        let first = next()
        #expect(first.errors.isEmpty, "\(first.errors)")
        #expect(first.process?.maxFDs == 1000)
        #expect(first.cgroupMemory?.limitBytes == 500)
        #expect(first.cgroupMemory?.usageBytes == 100)

        try root.write("self/limits", Self.limits(3000))
        try root.write("cgroup/app/memory.max", "700\n")
        try root.write("cgroup/app/memory.current", "200\n")
        // Ticks 2 ... N report the settings as read on tick 1; the usage is current.
        for _ in 2...SystemSampler.settingsRefreshTicks {
            let sample = next()
            #expect(sample.errors.isEmpty)
            #expect(sample.process?.maxFDs == 1000)
            #expect(sample.cgroupMemory?.limitBytes == 500)
            #expect(sample.cgroupMemory?.usageBytes == 200)
        }
        // Tick N + 1 re-reads them: a change shows within N ticks.
        let refreshed = next()
        #expect(refreshed.process?.maxFDs == 3000)
        #expect(refreshed.cgroupMemory?.limitBytes == 700)
        #expect(refreshed.cgroupMemory?.usageBytes == 200)
    }

    @Test func settingsAreReadAgainAfterThirtySecondsEvenWithinTenTicks() throws {
        let root = try makeRoot()
        var sampler = try sampler(root)
        #expect(sampler.sample(timestamp: 1, monotonicTime: 1).process?.maxFDs == 1000)
        try root.write("self/limits", Self.limits(2500))
        let early = 1 + SystemSampler.settingsRefreshSeconds - 1
        #expect(sampler.sample(timestamp: early, monotonicTime: early).process?.maxFDs == 1000)
        let late = 1 + SystemSampler.settingsRefreshSeconds
        #expect(sampler.sample(timestamp: late, monotonicTime: late).process?.maxFDs == 2500)
    }

    @Test func aRemovedCgroupIsReadAgainAtOnce() throws {
        let root = try makeRoot()
        var sampler = try sampler(root)
        #expect(sampler.sample(timestamp: 1, monotonicTime: 1).cgroupMemory?.limitBytes == 500)
        // The cgroup goes (its usage file fails to open): the next tick reads the membership
        // again instead of reporting the cached cgroup.
        #expect(unlink(root.path + "/cgroup/app/memory.current") == 0)
        #expect(unlink(root.path + "/cgroup/app/memory.max") == 0)
        let after = sampler.sample(timestamp: 2, monotonicTime: 2)
        #expect(after.errors.isEmpty, "\(after.errors)")
        #expect(after.cgroupMemory == nil)
        // Back again: the absence was cached like a reading, so it shows on the refresh tick.
        try root.write("cgroup/app/memory.max", "800\n")
        try root.write("cgroup/app/memory.current", "300\n")
        var seen: CgroupMemory?
        for tick in 3...(2 + SystemSampler.settingsRefreshTicks) where seen == nil {
            seen = sampler.sample(timestamp: Double(tick), monotonicTime: Double(tick)).cgroupMemory
        }
        #expect(seen?.limitBytes == 800)
        #expect(seen?.usageBytes == 300)
    }

    @Test func aFailedRefreshIsTriedAgainEveryTickNotPaperedOver() throws {
        let root = try makeRoot()
        var sampler = try sampler(root)
        #expect(sampler.sample(timestamp: 1, monotonicTime: 1).process?.maxFDs == 1000)
        try root.write("self/limits", "Max open files\n")
        var failures = 0
        for tick in 2...(1 + 2 * SystemSampler.settingsRefreshTicks) {
            let sample = sampler.sample(timestamp: Double(tick), monotonicTime: Double(tick))
            if sample.errors.contains(where: { $0.collector == .process }) { failures += 1 }
        }
        // From the first refresh tick on (tick N + 1 to 2N + 1), every tick reports the broken file.
        #expect(failures == SystemSampler.settingsRefreshTicks + 1)
        try root.write("self/limits", Self.limits(2000))
        let mended = sampler.sample(timestamp: 100, monotonicTime: 100)
        #expect(mended.errors.isEmpty)
        #expect(mended.process?.maxFDs == 2000)
    }

    @Test func closingTheDescriptorsRereadsTheSettingsOnTheNextTick() throws {
        let root = try makeRoot()
        var sampler = try sampler(root)
        #expect(sampler.sample(timestamp: 1, monotonicTime: 1).process?.maxFDs == 1000)
        try root.write("self/limits", Self.limits(1500))
        #expect(sampler.sample(timestamp: 2, monotonicTime: 2).process?.maxFDs == 1000)
        sampler.closeDescriptors()
        #expect(sampler.sample(timestamp: 3, monotonicTime: 3).process?.maxFDs == 1500)
    }

    @Test func liveTicksBetweenRefreshesKeepEveryDescriptorOpenAndMatchAFullRead() throws {
        var sampler = try SystemSampler()
        _ = sampler.sample()
        let open = sampler.files.openDescriptors
        for _ in 0..<(SystemSampler.settingsRefreshTicks + 1) {
            let sample = sampler.sample()
            #expect(sample.errors.isEmpty, "\(sample.errors)")
            #expect(sampler.files.openDescriptors == open)
            // Between refreshes the cached settings are what a full read says now.
            let full = try ProcessStats.read()
            #expect(sample.process?.maxFDs == full.maxFDs)
            let cgroup = try CgroupMemory.read()
            #expect(sample.cgroupMemory?.limitBytes == cgroup?.limitBytes)
            #expect(sample.cgroupMemory?.directory == cgroup?.directory)
        }
        sampler.closeDescriptors()
    }
}
