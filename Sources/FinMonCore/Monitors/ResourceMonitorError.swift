/// Why the resource monitor refused a start or a configuration; nothing changed then.
public enum ResourceMonitorError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not a finite number of seconds within `ResourceMonitor.intervalRange`.
    case invalidInterval(Double)
    /// A path or window the sampler cannot work with; the text says which and why.
    case invalidConfiguration(String)

    public var description: String {
        switch self {
        case .invalidInterval(let value):
            let range = ResourceMonitor.intervalRange
            return "sampling interval must be a number of seconds in \(range.lowerBound)...\(range.upperBound), got \(value)"
        case .invalidConfiguration(let reason):
            return reason
        }
    }
}
