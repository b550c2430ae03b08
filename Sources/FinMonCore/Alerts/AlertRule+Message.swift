extension AlertRule {
    /// A one-line human description of the condition at `value`, judged against `threshold`
    /// (the rule's, or for memory_leak the memory limit).
    public func message(value: Double, threshold limit: Double? = nil, status: AlertEvent.Status) -> String {
        let bound = Self.plain(limit ?? threshold)
        let firing = status == .firing
        switch type {
        case .highMemory:
            return firing
                ? "Memory usage \(Self.percent(value))% is above \(bound)%"
                : "Memory usage \(Self.percent(value))% is back at or below \(Self.plain(clearThreshold))%"
        case .highCPU:
            return firing
                ? "CPU usage \(Self.percent(value))% is above \(bound)%"
                : "CPU usage \(Self.percent(value))% is back at or below \(Self.plain(clearThreshold))%"
        case .diversityCollapse:
            return firing
                ? "Population diversity stayed below \(bound) for the last \(window) iterations (highest \(Self.plain(value)))"
                : "Population diversity is back to \(Self.plain(value)) over the last \(window) iterations (threshold \(bound))"
        case .championStaleness:
            return firing
                ? "Champion not updated for \(Self.plain(value)) iterations (threshold \(bound))"
                : "Champion updated; \(Self.plain(value)) iterations since the last update (threshold \(bound))"
        case .lowSuccessRate:
            return firing
                ? "Strategy success rate \(Self.percent(value))% is below \(bound)%"
                : "Strategy success rate \(Self.percent(value))% is back at or above \(bound)%"
        case .orphanedContainers:
            return firing
                ? "\(Self.plain(value)) orphaned containers (threshold \(bound))"
                : "Orphaned containers down to \(Self.plain(value)) (threshold \(bound))"
        case .memoryLeak:
            let horizon = Self.span(threshold)
            let limitText = Self.gigabytes(limit ?? .nan)
            return firing
                ? "Resident memory trend reaches the memory limit \(limitText) within \(horizon) (forecast \(Self.gigabytes(value)))"
                : "Resident memory trend stays below the memory limit \(limitText) for \(horizon) (forecast \(Self.gigabytes(value)))"
        case .loopStuck:
            return firing
                ? "No iteration recorded for \(Self.span(value)) (threshold \(Self.span(threshold)))"
                : "Iterations resumed; the last one \(Self.span(value)) ago (threshold \(Self.span(threshold)))"
        }
    }

    /// `80`, `0.1`: thresholds as a person wrote them.
    static func plain(_ value: Double) -> String {
        JSONValue.format(value)
    }

    /// One decimal (`85.2`), rounded half away from zero, without Foundation's String(format:).
    static func percent(_ value: Double) -> String {
        guard value.isFinite else { return value.description }
        let tenths = (abs(value) * 10).rounded(.toNearestOrAwayFromZero)
        guard tenths < 1e15, let scaled = Int(exactly: tenths) else { return JSONValue.format(value) }
        let sign = value < 0 && scaled != 0 ? "-" : ""
        return "\(sign)\(scaled / 10).\(scaled % 10)"
    }

    /// `12.3 GB` (10^9 bytes, as the dashboard's memory panels).
    static func gigabytes(_ bytes: Double) -> String {
        percent(bytes / 1e9) + " GB"
    }

    /// `45 s`, `12.5 min`, `1 h`: a duration in the unit a person would say it in.
    static func span(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "\(seconds) s" }
        if abs(seconds) < 120 { return plain((seconds * 10).rounded() / 10) + " s" }
        if abs(seconds) < 3600 { return plain((seconds / 6).rounded() / 10) + " min" }
        return plain((seconds / 360).rounded() / 10) + " h"
    }
}
