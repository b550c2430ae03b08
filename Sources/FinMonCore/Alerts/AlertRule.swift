/// One alert condition with its threshold, as configured. The same conditions are
/// rendered for Prometheus by `AlertRulesRenderer`, so both sides agree.
public struct AlertRule: Sendable, Equatable {
    public let type: AlertType
    public let severity: Severity
    /// In the unit of the condition: percent for memory, CPU and success rate, a diversity
    /// value, iterations for staleness, a container count for orphans.
    public let threshold: Double
    /// diversity_collapse only: how many of the newest values must all be below the threshold.
    public let window: Int
    /// The condition must hold this long before the alert fires; 0 fires at once.
    public let forSeconds: Double

    public init(type: AlertType, severity: Severity, threshold: Double, window: Int = 1, forSeconds: Double = 0) {
        self.type = type
        self.severity = severity
        self.threshold = threshold
        self.window = max(window, 1)
        self.forSeconds = forSeconds.isFinite ? max(forSeconds, 0) : 0
    }

    /// One rule per alert type, in `AlertType.allCases` order; none when alerts are disabled.
    public static func rules(from config: MonitoringConfig) -> [AlertRule] {
        guard config.bool("monitoring.alerts.enabled") else { return [] }
        let severities = config.severities
        let forSeconds = config.forSeconds
        return AlertType.allCases.map { type in
            let threshold: Double
            var window = 1
            switch type {
            case .highMemory: threshold = config.double("monitoring.alerts.memory_threshold_percent")
            case .highCPU: threshold = config.double("monitoring.alerts.cpu_threshold_percent")
            case .diversityCollapse:
                threshold = config.double("monitoring.alerts.diversity_collapse.threshold")
                window = config.int("monitoring.alerts.diversity_collapse.window")
            case .championStaleness: threshold = config.double("monitoring.alerts.champion_staleness.threshold_iterations")
            case .lowSuccessRate: threshold = config.double("monitoring.alerts.success_rate.threshold_percent")
            case .orphanedContainers: threshold = config.double("monitoring.alerts.orphaned_containers.threshold")
            }
            return AlertRule(
                type: type, severity: severities[type], threshold: threshold,
                window: window, forSeconds: forSeconds[type])
        }
    }

    /// The rule's view of a snapshot: whether the condition holds and the value it judged.
    public struct Reading: Sendable, Equatable {
        public let breached: Bool
        public let value: Double

        public init(breached: Bool, value: Double) {
            self.breached = breached
            self.value = value
        }
    }

    /// nil when the snapshot lacks the signal, or it is not a finite number; the engine
    /// then leaves the alert as it is.
    public func evaluate(_ snapshot: AlertSnapshot) -> Reading? {
        switch type {
        case .highMemory:
            return snapshot.memoryPercent.flatMap(finite).map { Reading(breached: $0 > threshold, value: $0) }
        case .highCPU:
            return snapshot.cpuPercent.flatMap(finite).map { Reading(breached: $0 > threshold, value: $0) }
        case .diversityCollapse:
            // "All of the last `window` values below the threshold" is "their maximum below it",
            // which is also what the Prometheus rule computes with max_over_time.
            let recent = snapshot.recentDiversity.suffix(window)
            guard recent.count == window, recent.allSatisfy(\.isFinite), let highest = recent.max() else { return nil }
            return Reading(breached: highest < threshold, value: highest)
        case .championStaleness:
            return snapshot.iterationsSinceChampionUpdate.map {
                Reading(breached: Double($0) >= threshold, value: Double($0))
            }
        case .lowSuccessRate:
            return snapshot.successRate.flatMap(finite).map {
                let percent = $0 * 100
                return Reading(breached: percent < threshold, value: percent)
            }
        case .orphanedContainers:
            return snapshot.orphanedContainers.map { Reading(breached: Double($0) >= threshold, value: Double($0)) }
        }
    }

    private func finite(_ value: Double) -> Double? {
        value.isFinite ? value : nil
    }

    /// A one-line human description of the condition at `value`.
    public func message(value: Double, status: AlertEvent.Status) -> String {
        let limit = Self.plain(threshold)
        let firing = status == .firing
        switch type {
        case .highMemory:
            return firing
                ? "Memory usage \(Self.percent(value))% is above \(limit)%"
                : "Memory usage \(Self.percent(value))% is back at or below \(limit)%"
        case .highCPU:
            return firing
                ? "CPU usage \(Self.percent(value))% is above \(limit)%"
                : "CPU usage \(Self.percent(value))% is back at or below \(limit)%"
        case .diversityCollapse:
            return firing
                ? "Population diversity stayed below \(limit) for the last \(window) iterations (highest \(Self.plain(value)))"
                : "Population diversity is back to \(Self.plain(value)) over the last \(window) iterations (threshold \(limit))"
        case .championStaleness:
            return firing
                ? "Champion not updated for \(Self.plain(value)) iterations (threshold \(limit))"
                : "Champion updated; \(Self.plain(value)) iterations since the last update (threshold \(limit))"
        case .lowSuccessRate:
            return firing
                ? "Strategy success rate \(Self.percent(value))% is below \(limit)%"
                : "Strategy success rate \(Self.percent(value))% is back at or above \(limit)%"
        case .orphanedContainers:
            return firing
                ? "\(Self.plain(value)) orphaned containers (threshold \(limit))"
                : "Orphaned containers down to \(Self.plain(value)) (threshold \(limit))"
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
}
