import Glibc
import Testing
@testable import FinMonCore

/// Kept-open /proc descriptors: reused between ticks, reopened when they go bad, in another
/// process or after being left unread, closed on demand; fixture files are never kept.
@Suite(.serialized) struct ProcDescriptorsTests {
    @Test func procFilesStayOpenCloseOnExecAndAreReadAgainFromTheStart() throws {
        let files = ProcDescriptors()
        var session = files.session()
        let stat = try session.readText("/proc/self/stat")
        #expect(try session.readText("/proc/meminfo").hasPrefix("MemTotal:"))
        files.finish(session)
        let open = files.openDescriptors
        #expect(open.count == 2)
        for fd in open { #expect(fcntl(fd, F_GETFD) & FD_CLOEXEC != 0) }

        var again = files.session()
        let statAgain = try again.readText("/proc/self/stat")
        #expect(try again.readText("/proc/meminfo").hasPrefix("MemTotal:"))
        files.finish(again)
        #expect(files.openDescriptors == open)
        #expect(stat.split(separator: " ").first == "\(getpid())")
        #expect(statAgain.split(separator: " ").first == "\(getpid())")
        files.closeAll()
    }

    @Test func fixtureFilesAreNotKeptOpenAndAReplacedFileIsReadAnew() throws {
        let root = try TempProcRoot()
        try root.write("meminfo", "MemTotal: 1 kB\n")
        let files = ProcDescriptors()
        var session = files.session()
        #expect(try session.readText(root.path + "/meminfo") == "MemTotal: 1 kB\n")
        files.finish(session)
        #expect(files.openDescriptors.isEmpty)

        // Replaced by rename, as an editor or a fixture swap does: a new inode.
        try root.write("meminfo.new", "MemTotal: 2 kB\n")
        #expect(rename(root.path + "/meminfo.new", root.path + "/meminfo") == 0)
        var again = files.session()
        #expect(try again.readText(root.path + "/meminfo") == "MemTotal: 2 kB\n")
        files.finish(again)
        #expect(files.openDescriptors.isEmpty)
    }

    @Test func aDescriptorThatFailsToReadIsReopened() throws {
        let files = ProcDescriptors()
        var session = files.session()
        _ = try session.readText("/proc/meminfo")
        files.finish(session)
        let fd = try #require(files.openDescriptors.first)
        // Make the kept descriptor a directory's: its pread fails with EISDIR.
        let directory = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        #expect(directory >= 0)
        #expect(dup2(directory, fd) == fd)
        close(directory)

        var again = files.session()
        #expect(try again.readText("/proc/meminfo").hasPrefix("MemTotal:"))
        files.finish(again)
        #expect(files.openDescriptors.count == 1)
        files.closeAll()
    }

    @Test func descriptorsLeftUnreadInASessionAreClosed() throws {
        let files = ProcDescriptors()
        var session = files.session()
        _ = try session.readText("/proc/meminfo")
        _ = try session.readText("/proc/self/status")
        files.finish(session)
        #expect(files.openDescriptors.count == 2)
        var again = files.session()
        _ = try again.readText("/proc/meminfo")
        files.finish(again)
        #expect(files.openDescriptors.count == 1)
        files.closeAll()
    }

    @Test func closeAllClosesAtOnceOrWhenTheSessionOutReturns() throws {
        let files = ProcDescriptors()
        var session = files.session()
        _ = try session.readText("/proc/meminfo")
        files.finish(session)
        #expect(files.openDescriptors.count == 1)
        files.closeAll()
        #expect(files.openDescriptors.isEmpty)

        var out = files.session()
        _ = try out.readText("/proc/meminfo")
        files.closeAll()
        #expect(files.openDescriptors.count == 1)  // still being read
        files.finish(out)
        #expect(files.openDescriptors.isEmpty)
    }

    @Test func aSecondReaderMeanwhileReadsThePlainWay() throws {
        let files = ProcDescriptors()
        var first = files.session()
        var second = files.session()
        #expect(second.files == nil)
        #expect(try second.readText("/proc/meminfo").hasPrefix("MemTotal:"))
        #expect(files.openDescriptors.isEmpty)
        _ = try first.readText("/proc/meminfo")
        files.finish(second)
        files.finish(first)
        #expect(files.openDescriptors.count == 1)
        files.closeAll()
    }

    @Test func anotherProcessClosesTheParentsDescriptorsAndOpensItsOwn() throws {
        let files = ProcDescriptors()
        var session = files.session()
        _ = try session.readText("/proc/meminfo")
        let parentOut = files.session(pid: getpid())  // busy: the parent's read is out
        #expect(parentOut.files == nil)
        // A forked child: the parent's session is gone with its thread; its descriptors
        // are the child's copies of the parent's files.
        let child = getpid() &+ 1_000_000
        var inChild = files.session(pid: child)
        #expect(inChild.files != nil)
        #expect(files.openDescriptors.isEmpty)
        _ = try inChild.readText("/proc/meminfo")
        files.finish(inChild)
        #expect(files.openDescriptors.count == 1)
        files.finish(session)  // the parent's, in a process that is not its own: ignored
        #expect(files.openDescriptors.count == 1)
        files.resetAfterFork()  // back to this pid: the "child's" descriptors go
        #expect(files.openDescriptors.isEmpty)
    }

    @Test func samplerKeepsItsProcFilesOpenUntilClosed() throws {
        var sampler = try SystemSampler()
        let first = sampler.sample()
        #expect(first.process != nil && first.memory != nil && first.cpuTimes != nil)
        let open = sampler.files.openDescriptors
        #expect(open.count >= 5)  // stat, meminfo, self/{stat,status,limits}, self/cgroup, ...
        _ = sampler.sample()
        #expect(sampler.files.openDescriptors == open)
        sampler.closeDescriptors()
        #expect(sampler.files.openDescriptors.isEmpty)
        #expect(sampler.sample().errors.isEmpty)
        #expect(sampler.files.openDescriptors.count == open.count)
        sampler.closeDescriptors()
    }

    @Test func aMonitorClosesItsDescriptorsOnStopAndInAForkedChild() throws {
        let collector = try MetricsCollector()
        defer { collector.stop() }
        collector.resources.sampleNow()
        let open = collector.resources.openDescriptors
        #expect(open.count >= 5)
        collector.resources.stop()
        #expect(collector.resources.openDescriptors.isEmpty)
        try collector.resources.start(intervalSeconds: 0.02)
        #expect(Deadline.wait(seconds: 10) { collector.resources.openDescriptors.count == open.count })
        collector.resources.stop()
        #expect(Deadline.wait(seconds: 10) { collector.resources.openDescriptors.isEmpty })
        collector.resources.sampleNow()
        #expect(collector.resources.openDescriptors.count == open.count)
        // Same process: nothing of its own is dropped.
        collector.resources.forgetThreadsAfterFork()
        #expect(collector.resources.openDescriptors.count == open.count)
        collector.resources.stop()
    }

    @Test func readsALargerFileThanTheFirstBufferAndEnforcesTheLimit() throws {
        let files = ProcDescriptors()
        var session = files.session()
        // /proc/self/smaps of a Swift test process is far larger than 16 KiB.
        let smaps = try session.readText("/proc/self/smaps")
        #expect(smaps.utf8.count > ProcDescriptors.initialCapacity)
        #expect(throws: SystemReadError(path: "/proc/self/smaps", reason: .tooLarge(limit: 1000))) {
            _ = try session.readText("/proc/self/smaps", limit: 1000)
        }
        files.finish(session)
        files.closeAll()
    }

    @Test func aProcDirectoryStaysOpenAndIsRewoundForEachCount() throws {
        // /proc/self/ns lists a fixed set of namespaces, unlike fd/ which parallel tests change.
        let plain = try ProcFile.countEntries(directory: "/proc/self/ns")
        #expect(plain > 0)
        let files = ProcDescriptors()
        var session = files.session()
        #expect(try session.countEntries(directory: "/proc/self/ns") == plain)
        files.finish(session)
        let open = files.openDescriptors
        #expect(open.count == 1)
        #expect(fcntl(open[0], F_GETFD) & FD_CLOEXEC != 0)
        // Read again from the start (a stream left at its end would count 0).
        var again = files.session()
        #expect(try again.countEntries(directory: "/proc/self/ns") == plain)
        #expect(try again.countEntries(directory: "/proc/self/ns") == plain)
        files.finish(again)
        #expect(files.openDescriptors == open)
        // Left unread in a session, it is closed like a file.
        files.finish(files.session())
        #expect(files.openDescriptors.isEmpty)

        // A directory outside /proc (a fixture root) is never kept.
        var fixture = files.session()
        #expect(try fixture.countEntries(directory: ProcFixture.root("real") + "/self/fd") == 4)
        files.finish(fixture)
        #expect(files.openDescriptors.isEmpty)
        var kept = files.session()
        _ = try kept.countEntries(directory: "/proc/self/ns")
        files.finish(kept)
        files.closeAll()
        #expect(files.openDescriptors.isEmpty)
    }
}
