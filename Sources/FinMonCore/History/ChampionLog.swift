import Synchronization

/// The champion's updates, newest last, each with its time, iteration and Sharpe ratio:
/// what the live page and the report list as the champion's history. Bounded: the oldest
/// update goes once `capacity` are kept (a loop may find thousands).
///
///     let log = ChampionLog(capacity: 3)
///     log.record(iteration: 7, sharpe: 1.4, epochSeconds: 1_700_000_000)
///     log.updates.map(\.iteration)        // [7]
public final class ChampionLog: Sendable {
    public struct Update: Sendable, Equatable {
        public let epochSeconds: Double
        public let iteration: Int?
        public let sharpe: Double?
    }

    public static let defaultCapacity = 1_000
    public let capacity: Int
    private let state: Mutex<(updates: [Update], head: Int, total: Int)>

    public init(capacity: Int = ChampionLog.defaultCapacity) {
        self.capacity = max(1, capacity)
        state = Mutex(([], 0, 0))
    }

    public func record(iteration: Int?, sharpe: Double?, epochSeconds: Double = AlertTime.now().epochSeconds) {
        let update = Update(epochSeconds: epochSeconds, iteration: iteration, sharpe: sharpe)
        state.withLock { state in
            state.total += 1
            if state.updates.count < capacity {
                state.updates.append(update)
            } else {
                state.updates[state.head] = update
                state.head = (state.head + 1) % capacity
            }
        }
    }

    /// Oldest first.
    public var updates: [Update] {
        state.withLock { Array($0.updates[$0.head...] + $0.updates[..<$0.head]) }
    }

    /// Updates recorded since the start, including those the bound let go.
    public var total: Int { state.withLock { $0.total } }

    public func removeAll() {
        state.withLock { $0 = ([], 0, 0) }
    }

    /// `[{"time": ..., "iteration": ..., "sharpe": ...}, ...]`.
    public func json() -> String {
        "[" + updates.map { update in
            "{\"time\": " + JSONText.number(update.epochSeconds)
                + ", \"iteration\": " + (update.iteration.map(String.init) ?? "null")
                + ", \"sharpe\": " + (update.sharpe.map(JSONText.number) ?? "null") + "}"
        }.joined(separator: ", ") + "]"
    }
}
