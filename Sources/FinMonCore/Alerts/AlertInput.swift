/// One signal of the alert snapshot that can be injected (tests, `inject_snapshot` in
/// Python) or read from a provider closure (the resource and container monitors).
///
/// Where a value comes from, first match wins: an injected value, then a provider, then
/// the loop and diversity monitors (diversity, staleness, success rate, iteration). With
/// none of them the signal is unavailable and its alert keeps its state.
public enum AlertInput: String, Sendable, Hashable, CaseIterable {
    /// System memory in use, percent of total.
    case memoryPercent = "memory_percent"
    /// System CPU busy time, percent.
    case cpuPercent = "cpu_percent"
    /// A diversity value in [0, 1]; read as if the last `window` recorded values were all
    /// this one, so a single number can drive the collapse rule.
    case diversity
    /// Iterations since the champion last changed (a whole number >= 0).
    case championStaleness = "champion_staleness"
    /// Fraction of successful strategies over the success window, in [0, 1].
    case successRate = "success_rate"
    /// Sandbox containers in an orphan status (a whole number >= 0).
    case orphanedContainers = "orphaned_containers"
    /// The loop iteration attached to events as context (a whole number >= 0).
    case iteration
    /// This process' resident memory, bytes.
    case residentMemoryBytes = "resident_memory_bytes"
    /// The resident memory's growth, bytes per second (negative when it shrinks).
    case residentMemoryGrowth = "resident_memory_growth_bytes_per_second"
    /// The memory this process may use, bytes (> 0).
    case memoryLimitBytes = "memory_limit_bytes"
    /// Seconds since the loop last recorded an iteration.
    case secondsSinceLastIteration = "seconds_since_last_iteration"

    /// The value if it is one this input can take.
    /// - Throws: `AlertInputError` naming the input, the value and what was expected.
    public func validated(_ value: Double) throws(AlertInputError) -> Double {
        switch self {
        case .memoryPercent, .cpuPercent, .residentMemoryBytes, .secondsSinceLastIteration:
            guard value.isFinite, value >= 0 else { throw AlertInputError(input: self, value: value, expected: "a finite number >= 0") }
        case .residentMemoryGrowth:
            guard value.isFinite else { throw AlertInputError(input: self, value: value, expected: "a finite number") }
        case .memoryLimitBytes:
            guard value.isFinite, value > 0 else { throw AlertInputError(input: self, value: value, expected: "a finite number > 0") }
        case .diversity, .successRate:
            guard value >= 0, value <= 1 else { throw AlertInputError(input: self, value: value, expected: "a number in [0, 1]") }
        case .championStaleness, .orphanedContainers, .iteration:
            // 2^53: past it a Double no longer holds every whole number.
            guard value >= 0, value <= 9_007_199_254_740_992, value == value.rounded(.towardZero) else {
                throw AlertInputError(input: self, value: value, expected: "a whole number >= 0")
            }
        }
        return value
    }
}
