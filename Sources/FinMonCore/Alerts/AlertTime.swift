#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One instant on two clocks: the monotonic one measures `for:` durations (immune to the
/// wall clock being stepped), the wall clock stamps events. Tests inject both.
public struct AlertTime: Sendable, Equatable {
    public var monotonicSeconds: Double
    public var epochSeconds: Double

    public init(monotonicSeconds: Double, epochSeconds: Double) {
        self.monotonicSeconds = monotonicSeconds
        self.epochSeconds = epochSeconds
    }

    public static func now() -> AlertTime {
        AlertTime(monotonicSeconds: seconds(CLOCK_MONOTONIC), epochSeconds: seconds(CLOCK_REALTIME))
    }

    private static func seconds(_ clock: clockid_t) -> Double {
        var spec = timespec()
        guard clock_gettime(clock, &spec) == 0 else { return 0 }
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}
