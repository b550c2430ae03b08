/// The trend of resident memory: the least-squares slope, in bytes per second,
/// of the RSS samples taken within a sliding time window.
///
/// A slope over a window, rather than the difference of two samples, so that
/// one allocation burst or one GC does not read as a leak.
public struct RSSGrowthEstimator: Sendable {
    public enum ConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
        case invalidWindow(Double)
        case invalidCapacity(Int)

        public var description: String {
            switch self {
            case .invalidWindow(let value):
                return "RSS growth window must be a finite number of seconds > 0, got \(value)"
            case .invalidCapacity(let value):
                return "RSS growth capacity must be at least 2 samples, got \(value)"
            }
        }
    }

    public let windowSeconds: Double
    /// The most samples kept; the oldest go first. Bounds memory when the
    /// sampling interval is much shorter than the window.
    public let capacity: Int

    private var times: [Double] = []
    private var values: [Double] = []

    public init(windowSeconds: Double = 300, capacity: Int = 1024) throws(ConfigurationError) {
        guard windowSeconds.isFinite && windowSeconds > 0 else { throw .invalidWindow(windowSeconds) }
        guard capacity >= 2 else { throw .invalidCapacity(capacity) }
        self.windowSeconds = windowSeconds
        self.capacity = capacity
        times.reserveCapacity(Swift.min(capacity, 64))
        values.reserveCapacity(Swift.min(capacity, 64))
    }

    public var count: Int { times.count }

    /// - Parameter time: a monotonic clock in seconds. A time earlier than the
    ///   last sample means the clock was swapped or reset: the history is dropped
    ///   rather than fitted across the jump. Non-finite times are ignored.
    public mutating func add(time: Double, rssBytes: UInt64) {
        guard time.isFinite else { return }
        if let last = times.last, time < last {
            reset()
        }
        times.append(time)
        values.append(Double(rssBytes))
        let cutoff = time - windowSeconds
        var drop = 0
        while drop < times.count && times[drop] < cutoff { drop += 1 }
        drop = Swift.max(drop, times.count - capacity)
        if drop > 0 {
            times.removeFirst(drop)
            values.removeFirst(drop)
        }
    }

    public mutating func reset() {
        times.removeAll(keepingCapacity: true)
        values.removeAll(keepingCapacity: true)
    }

    /// nil with fewer than 2 samples or when they all share one timestamp.
    public var slopeBytesPerSecond: Double? {
        guard times.count >= 2 else { return nil }
        let n = Double(times.count)
        // Centred sums: epoch-sized times squared would lose every digit that matters.
        let meanTime = times.reduce(0, +) / n
        let meanValue = values.reduce(0, +) / n
        var sxx = 0.0
        var sxy = 0.0
        for index in times.indices {
            let dt = times[index] - meanTime
            sxx += dt * dt
            sxy += dt * (values[index] - meanValue)
        }
        guard sxx > 0 else { return nil }
        let slope = sxy / sxx
        return slope.isFinite ? slope : nil
    }
}
