/// One alert condition with its threshold, as configured. The same conditions are
/// rendered for Prometheus by `AlertRulesRenderer`, so both sides agree.
///
/// ```swift
/// let cpu = AlertRule(type: .highCPU, severity: .warning, threshold: 90, forSeconds: 300, hysteresis: 10)
/// cpu.evaluate(AlertSnapshot(cpuPercent: 85))   // not breached, not cleared: a firing alert stays
/// ```
public struct AlertRule: Sendable, Equatable {
    public let type: AlertType
    public let severity: Severity
    /// In the unit of the condition: percent for memory, CPU and success rate, a diversity
    /// value, iterations for staleness, a container count for orphans, seconds without an
    /// iteration for loop_stuck. memory_leak compares with the snapshot's memory limit
    /// instead, and keeps its horizon here.
    public let threshold: Double
    /// diversity_collapse: how many of the newest values must all be below the threshold;
    /// low_success_rate: the iterations of the success window (the loop monitor reports no
    /// rate until it is full).
    public let window: Int
    /// The condition must hold this long before the alert fires; 0 fires at once.
    public let forSeconds: Double
    /// high_memory and high_cpu: a firing alert resolves only at or below
    /// `threshold - hysteresis`, so a value hovering at the threshold does not flap.
    public let hysteresis: Double

    public init(
        type: AlertType, severity: Severity, threshold: Double, window: Int = 1, forSeconds: Double = 0,
        hysteresis: Double = 0
    ) {
        self.type = type
        self.severity = severity
        self.threshold = threshold
        self.window = max(window, 1)
        self.forSeconds = forSeconds.isFinite ? max(forSeconds, 0) : 0
        self.hysteresis = hysteresis.isFinite && type.hasHysteresis ? max(hysteresis, 0) : 0
    }

    /// One rule per alert type, in `AlertType.allCases` order; none when alerts are disabled.
    public static func rules(from config: MonitoringConfig) -> [AlertRule] {
        guard config.bool("monitoring.alerts.enabled") else { return [] }
        let severities = config.severities
        let forSeconds = config.forSeconds
        return AlertType.allCases.map { type in
            let alerts = "monitoring.alerts."
            var window = 1
            var hysteresis = 0.0
            let threshold: Double
            switch type {
            case .highMemory:
                threshold = config.double(alerts + "memory_threshold_percent")
                hysteresis = config.double(alerts + "hysteresis.high_memory")
            case .highCPU:
                threshold = config.double(alerts + "cpu_threshold_percent")
                hysteresis = config.double(alerts + "hysteresis.high_cpu")
            case .diversityCollapse:
                threshold = config.double(alerts + "diversity_collapse.threshold")
                window = config.int(alerts + "diversity_collapse.window")
            case .championStaleness: threshold = config.double(alerts + "champion_staleness.threshold_iterations")
            case .lowSuccessRate:
                threshold = config.double(alerts + "success_rate.threshold_percent")
                window = config.int(alerts + "success_rate.window_iterations")
            case .orphanedContainers: threshold = config.double(alerts + "orphaned_containers.threshold")
            case .memoryLeak: threshold = config.double(alerts + "memory_leak.horizon")
            case .loopStuck: threshold = config.loopStuckSeconds
            }
            return AlertRule(
                type: type, severity: severities[type], threshold: threshold,
                window: window, forSeconds: forSeconds[type], hysteresis: hysteresis)
        }
    }

    /// The level at or below which a firing high_memory or high_cpu alert resolves.
    public var clearThreshold: Double { threshold - hysteresis }

    /// The rule's view of a snapshot: whether the condition holds, whether a firing alert
    /// may resolve (with hysteresis, only well below the threshold), the value it judged
    /// and the threshold it judged it against.
    public struct Reading: Sendable, Equatable {
        public let breached: Bool
        public let cleared: Bool
        public let value: Double
        public let threshold: Double

        public init(breached: Bool, cleared: Bool? = nil, value: Double, threshold: Double) {
            self.breached = breached
            self.cleared = cleared ?? !breached
            self.value = value
            self.threshold = threshold
        }
    }

    /// nil when the snapshot lacks the signal, or it is not a finite number; the engine
    /// then leaves the alert as it is.
    public func evaluate(_ snapshot: AlertSnapshot) -> Reading? {
        switch type {
        case .highMemory:
            return snapshot.memoryPercent.flatMap(finite).map(above)
        case .highCPU:
            return snapshot.cpuPercent.flatMap(finite).map(above)
        case .diversityCollapse:
            // "All of the last `window` values below the threshold" is "their maximum below
            // it": the population_diversity_window_max gauge the Prometheus rule reads.
            let recent = snapshot.recentDiversity.suffix(window)
            guard recent.count == window, recent.allSatisfy(\.isFinite), let highest = recent.max() else { return nil }
            return Reading(breached: highest < threshold, value: highest, threshold: threshold)
        case .championStaleness:
            return snapshot.iterationsSinceChampionUpdate.map {
                Reading(breached: Double($0) >= threshold, value: Double($0), threshold: threshold)
            }
        case .lowSuccessRate:
            return snapshot.successRate.flatMap(finite).map {
                let percent = $0 * 100
                return Reading(breached: percent < threshold, value: percent, threshold: threshold)
            }
        case .orphanedContainers:
            return snapshot.orphanedContainers.map {
                Reading(breached: Double($0) >= threshold, value: Double($0), threshold: threshold)
            }
        case .memoryLeak:
            // Prometheus' predict_linear(process_resident_memory_bytes[window], horizon):
            // the least-squares slope over the same window, carried `horizon` seconds ahead.
            guard let resident = snapshot.residentMemoryBytes.flatMap(finite),
                  let slope = snapshot.residentMemoryGrowthBytesPerSecond.flatMap(finite),
                  let limit = snapshot.memoryLimitBytes.flatMap(finite), let forecast = finite(resident + slope * threshold)
            else { return nil }
            return Reading(breached: forecast >= limit, value: forecast, threshold: limit)
        case .loopStuck:
            return snapshot.secondsSinceLastIteration.flatMap(finite).map {
                Reading(breached: $0 > threshold, value: $0, threshold: threshold)
            }
        }
    }

    private func above(_ value: Double) -> Reading {
        Reading(breached: value > threshold, cleared: value <= clearThreshold, value: value, threshold: threshold)
    }

    private func finite(_ value: Double) -> Double? {
        value.isFinite ? value : nil
    }
}
