/// "Warn once until it recovers" bookkeeping: a source that fails every tick
/// should produce one log line when it starts failing and one when it recovers,
/// while its error counter still counts every failure.
public struct WarningLatch<Key: Hashable & Sendable>: Sendable {
    public private(set) var failing: Set<Key> = []

    public init() {}

    /// Records a failure; true when it is the first since the key last succeeded
    /// (the caller logs a warning).
    public mutating func recordFailure(_ key: Key) -> Bool {
        failing.insert(key).inserted
    }

    /// Records a success; true when the key was failing until now (the caller
    /// may log the recovery).
    public mutating func recordSuccess(_ key: Key) -> Bool {
        failing.remove(key) != nil
    }

    public func isFailing(_ key: Key) -> Bool {
        failing.contains(key)
    }
}
