/// A token for "the schedule, or the configuration, as it is now". Moving on to the next
/// generation makes every token handed out before stale: a tick, timer or answer that
/// carries an old token finds out by comparing, and does nothing.
///
///     var generation = Generation()
///     let token = generation            // handed to work scheduled now
///     generation.advance()              // stop(): that work is stale from here on
///     token == generation               // false
public struct Generation: Sendable, Hashable, CustomStringConvertible {
    private var value: UInt64 = 0

    public init() {}

    /// Moves to the next generation (wrapping after 2^64 of them) and returns it.
    @discardableResult
    public mutating func advance() -> Generation {
        value &+= 1
        return self
    }

    public var description: String { "generation \(value)" }
}
