import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

@testable import FinMonCore

@Suite struct FutureWindowTests {
    @Test func keepsAtMostWidthInFlightAndReportsInOrder() async throws {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let counters = NIOLockedValueBox((active: 0, peak: 0))
        let results = try await loop.flatSubmit {
            FutureWindow.run(Array(0..<20), width: 3, on: loop) { item -> EventLoopFuture<Int> in
                counters.withLockedValue { $0.active += 1; $0.peak = max($0.peak, $0.active) }
                return loop.scheduleTask(in: .milliseconds(2)) {
                    counters.withLockedValue { $0.active -= 1 }
                    if item == 5 { throw DockerError.noStats(id: "5") }
                    return item * 10
                }.futureResult
            }
        }.get()
        #expect(counters.withLockedValue { $0.peak } == 3)
        #expect(results.count == 20)
        #expect(try results[19]?.get() == 190)
        #expect(throws: DockerError.noStats(id: "5")) { try results[5]?.get() }
    }

    @Test func stopsStartingOnceToldAndAnEmptyListCompletes() async throws {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let started = NIOLockedValueBox(0)
        let results = try await FutureWindow.run(
            Array(0..<10), width: 2, on: loop, shouldContinue: { started.withLockedValue { $0 } < 4 }
        ) { item in
            started.withLockedValue { $0 += 1 }
            return loop.makeSucceededFuture(item)
        }.get()
        #expect(results.compactMap { $0 }.count == 4)
        #expect(results.filter { $0 == nil }.count == 6)
        let empty = try await FutureWindow.run([Int](), width: 4, on: loop) { loop.makeSucceededFuture($0) }.get()
        #expect(empty.isEmpty)
    }
}
