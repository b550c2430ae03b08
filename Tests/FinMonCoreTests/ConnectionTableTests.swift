import NIOCore
import NIOEmbedded
import Testing
@testable import FinMonCore

@Suite struct ConnectionTableTests {
    @Test func atTheLimitTheLongestWaitingMakesRoomAndOneBeingAnsweredNever() throws {
        let table = ConnectionTable(limit: 2)
        let first = EmbeddedChannel(), second = EmbeddedChannel(), third = EmbeddedChannel(), fourth = EmbeddedChannel()
        let start = NIODeadline.now()
        guard case .admitted(nil) = table.admit(first, now: start) else { Issue.record("first refused"); return }
        guard case .admitted(nil) = table.admit(second, now: start + .seconds(1)) else { Issue.record("second"); return }
        // Full: the first waited longest and goes.
        guard case .admitted(let evicted?) = table.admit(third, now: start + .seconds(2)) else {
            Issue.record("third was not admitted by evicting one"); return
        }
        #expect(evicted === first)
        #expect(table.count == 2)
        // Both left are being answered: a new one is refused, nothing is evicted.
        table.setWaiting(second, since: nil)
        table.setWaiting(third, since: nil)
        guard case .refused = table.admit(fourth, now: start + .seconds(3)) else { Issue.record("fourth admitted"); return }
        table.remove(second)
        guard case .admitted(nil) = table.admit(fourth, now: start + .seconds(4)) else { Issue.record("no room"); return }
        #expect(table.count == 2)
    }

    @Test func limitsOutsideTheTableAreRefusedNamingTheArgument() {
        #expect(throws: Never.self) { try ExporterLimits.default.validate() }
        for (limits, name) in [(ExporterLimits(maxConnections: 0), "max_connections"),
                               (ExporterLimits(readTimeoutSeconds: 0.01), "read_timeout_seconds"),
                               (ExporterLimits(idleTimeoutSeconds: .nan), "idle_timeout_seconds")] {
            do {
                try limits.validate()
                Issue.record("\(limits) passed")
            } catch {
                #expect(error.description.hasPrefix(name + " must be"), "\(error)")
            }
        }
        #expect(ExporterLimits(config: .defaults) == .default)
    }
}
