/// System-wide CPU utilisation between successive samples, as psutil's
/// `cpu_percent(interval=None)` computes it, without psutil's rounding to one
/// decimal (callers format; a gauge keeps full precision).
///
/// Differences from psutil, on purpose:
/// - the first sample has nothing to compare with and yields nil, where psutil
///   returns a meaningless 0.0;
/// - if the total (guest-free) time went backwards, e.g. a CPU went offline and its
///   counters left the aggregate line, the sample becomes a fresh baseline and
///   yields nil; psutil would trim the negative deltas and report a skewed value.
///   A single field going down while the total grows is trimmed to 0 as psutil does;
/// - the result is clamped to [0, 100].
public struct CPUUsageCalculator: Sendable {
    public private(set) var previous: CPUTimes?

    public init(previous: CPUTimes? = nil) {
        self.previous = previous
    }

    /// Percent busy since the previous call, or nil (no baseline, counters reset,
    /// non-finite input). The current sample always becomes the new baseline.
    public mutating func update(_ current: CPUTimes) -> Double? {
        defer { previous = current }
        guard let previous else { return nil }
        return CPUUsageCalculator.percent(from: previous, to: current)
    }

    public static func percent(from earlier: CPUTimes, to later: CPUTimes) -> Double? {
        guard earlier.allFinite && later.allFinite else { return nil }
        guard later.total >= earlier.total else { return nil }
        let delta = later.clampedDelta(since: earlier)
        let all = delta.total
        // psutil answers 0.0 to a zero interval (ZeroDivisionError); so do we.
        guard all > 0 else { return 0 }
        let percent = delta.busy / all * 100
        guard percent.isFinite else { return nil }
        return Swift.min(100, Swift.max(0, percent))
    }
}
