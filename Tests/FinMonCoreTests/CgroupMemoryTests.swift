import Testing
@testable import FinMonCore

@Test func realV1FixtureTreatsTheHugeLimitAsUnlimited() throws {
    let root = ProcFixture.root("real")
    let memory = try #require(try CgroupMemory.read(procRoot: root, cgroupRoot: root + "/cgroup"))
    #expect(memory.version == .v1)
    #expect(memory.cgroupPath == "/process_api/56ec9b833e124edf1d472cbe51d59439")
    #expect(memory.directory == root + "/cgroup/memory/process_api/56ec9b833e124edf1d472cbe51d59439")
    // memory.limit_in_bytes holds 9223372036854771712, v1's "no limit".
    #expect(memory.limitBytes == nil)
    #expect(memory.usageBytes == 3_551_232)
}

@Test func v1TakesTheHierarchicalLimitOfAnAncestor() throws {
    let root = ProcFixture.root("cgroup-v1")
    let memory = try #require(try CgroupMemory.read(procRoot: root, cgroupRoot: root + "/cgroup"))
    #expect(memory.version == .v1)
    #expect(memory.limitBytes == 1_073_741_824)
    #expect(memory.usageBytes == 73_400_320)
}

@Test func v2TakesTheSmallestLimitUpTheTree() throws {
    let root = ProcFixture.root("cgroup-v2")
    let memory = try #require(try CgroupMemory.read(procRoot: root, cgroupRoot: root + "/cgroup"))
    #expect(memory.version == .v2)
    #expect(memory.directory == root + "/cgroup/user.slice/app.scope")
    // app.scope says "max"; its parent user.slice limits to 2 GiB.
    #expect(memory.limitBytes == 2_147_483_648)
    #expect(memory.usageBytes == 123_456_789)
}

@Test func v2ContainerWithoutNamespaceReadsItsCgroupAtTheRoot() throws {
    let root = ProcFixture.root("cgroup-v2-container")
    let memory = try #require(try CgroupMemory.read(procRoot: root, cgroupRoot: root + "/cgroup"))
    #expect(memory.cgroupPath == "/system.slice/docker-0123abcd.scope")
    #expect(memory.directory == root + "/cgroup")
    #expect(memory.limitBytes == 536_870_912)
    #expect(memory.usageBytes == 268_435_456)
}

@Test func noVisibleMemoryControllerIsNilNotAnError() throws {
    let root = ProcFixture.root("cgroup-none")
    #expect(try CgroupMemory.read(procRoot: root, cgroupRoot: root + "/cgroup") == nil)
    // No /proc/<pid>/cgroup at all: a kernel without cgroups.
    #expect(try CgroupMemory.read(procRoot: ProcFixture.root("no-memavailable"), cgroupRoot: root) == nil)
}

@Test func membershipParsesV1ControllerListsAndV2() throws {
    let text = "5:cpu,memory:/a:b\n0::/unified/path\n"
    let membership = try CgroupMemory.parseMembership(text, path: "cgroup")
    #expect(membership.v1Memory == "/a:b")
    #expect(membership.v2 == "/unified/path")
}

@Test func garbageMembershipIsMalformed() throws {
    for name in ["garbage", "truncated"] {
        let root = ProcFixture.root(name)
        let error = try #require(throws: SystemReadError.self) {
            try CgroupMemory.read(procRoot: root, cgroupRoot: root + "/cgroup")
        }
        #expect(error.path.hasSuffix(name + "/self/cgroup"))
    }
}

@Test func dotDotInTheCgroupPathIsRejected() throws {
    let root = ProcFixture.root("cgroup-v2")
    #expect(throws: SystemReadError(path: "/../../etc", reason: .malformed("cgroup path contains '..'"))) {
        var session = ProcReadSession(files: nil)
        _ = try CgroupMemory.readV2(session: &session, cgroupPath: "/../../etc", root: root + "/cgroup")
    }
}

@Test func liveCgroupReadsWithoutError() throws {
    if let memory = try CgroupMemory.read() {
        #expect(memory.usageBytes > 0)
        if let limit = memory.limitBytes { #expect(limit < CgroupMemory.unlimitedThreshold) }
    }
}
