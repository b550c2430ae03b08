import NIOConcurrencyHelpers
import NIOCore
import Testing

@testable import FinMonCore

/// Tests run on a real collector's threads (`CollectorThreads`): the same loop the monitors use.
@Suite(.serialized) struct EventLoopJobTests {
    private func threads() -> CollectorThreads {
        let registry = MetricsRegistry()
        return CollectorThreads(registry: registry, events: EventQueue())
    }

    @Test func aScheduleRunsUntilStoppedAndItsTicksCarryTheirGeneration() {
        let threads = threads()
        defer { threads.shutDown() }
        let job = EventLoopJob(threads: threads)
        let ticks = NIOLockedValueBox<[Generation]>([])
        #expect(!job.isRunning && job.interval == nil)
        let generation = job.start(every: .milliseconds(5)) { generation, loop in
            #expect(loop.inEventLoop)
            ticks.withLockedValue { $0.append(generation) }
        }
        #expect(job.isRunning && job.interval == .milliseconds(5))
        #expect(Deadline.wait(seconds: 10) { ticks.withLockedValue { $0.count } >= 3 })
        #expect(ticks.withLockedValue { $0.allSatisfy { $0 == generation } })
        #expect(job.isCurrent(generation))

        let next = job.stop()
        #expect(next != generation && !job.isCurrent(generation) && job.isCurrent(next))
        #expect(!job.isRunning && job.interval == nil)
        // Stopped: after the loop has run anything already queued, no tick comes any more.
        _ = try? threads.eventLoop.submit {}.wait()
        let count = ticks.withLockedValue { $0.count }
        _ = try? threads.eventLoop.scheduleTask(in: .milliseconds(30)) {}.futureResult.wait()
        #expect(ticks.withLockedValue { $0.count } == count)
    }

    @Test func startingAgainReplacesTheScheduleInANewGeneration() {
        let threads = threads()
        defer { threads.shutDown() }
        let job = EventLoopJob(threads: threads)
        let first = job.start(every: .seconds(3600)) { _, _ in }
        let seen = NIOLockedValueBox<Generation?>(nil)
        let second = job.start(every: .milliseconds(5)) { generation, _ in seen.withLockedValue { $0 = generation } }
        #expect(first != second && !job.isCurrent(first))
        #expect(Deadline.wait(seconds: 10) { seen.withLockedValue { $0 } == second })
        #expect(job.interval == .milliseconds(5))
        job.stop()
    }

    @Test func aTimerOfAnOldGenerationNeverFiresAndANewOneReplacesTheOld() {
        let threads = threads()
        defer { threads.shutDown() }
        let job = EventLoopJob(threads: threads)
        let fired = NIOLockedValueBox<[String]>([])
        let old = job.generation
        job.schedule(in: .milliseconds(20), in: old) { _, _ in fired.withLockedValue { $0.append("stale") } }
        let current = job.stop()
        job.schedule(in: .milliseconds(1), in: old) { _, _ in fired.withLockedValue { $0.append("stale too") } }
        job.schedule(in: .seconds(3600), in: current) { _, _ in fired.withLockedValue { $0.append("replaced") } }
        job.schedule(in: .milliseconds(1), in: current) { _, _ in fired.withLockedValue { $0.append("current") } }
        job.execute(in: current) { _, _ in fired.withLockedValue { $0.append("executed") } }
        job.execute(in: old) { _, _ in fired.withLockedValue { $0.append("stale execute") } }
        #expect(Deadline.wait(seconds: 10) { fired.withLockedValue { $0.contains("current") } })
        _ = try? threads.eventLoop.scheduleTask(in: .milliseconds(40)) {}.futureResult.wait()
        #expect(fired.withLockedValue { $0.sorted() } == ["current", "executed"])
        job.cancelTimer()
        job.stop()
    }

    @Test func forgettingAfterAForkDropsTheScheduleWithoutTheLoop() {
        let threads = threads()
        defer { threads.shutDown() }
        let job = EventLoopJob(threads: threads)
        let generation = job.start(every: .seconds(3600)) { _, _ in }
        job.forgetAfterFork()
        #expect(!job.isRunning && !job.isCurrent(generation))
    }

    @Test func generationsAdvanceAndCompare() {
        var generation = Generation()
        let token = generation
        #expect(token == generation)
        let next = generation.advance()
        #expect(next == generation && token != generation)
        #expect(generation.description == "generation 1")
    }
}
