/// The alerts finmon evaluates in-process: the original design's four, finmon's two
/// resource and container additions, the memory-leak forecast and the stuck loop. The raw
/// values are the names used everywhere else (config keys, the `alertname` and
/// `alert_type` labels, JSON logs, Prometheus alert names).
///
/// Alerts about the scrape target itself, which only Prometheus can see, are
/// `TargetAlert`s.
public enum AlertType: String, Sendable, Hashable, CaseIterable {
    case highMemory = "high_memory"
    case highCPU = "high_cpu"
    case diversityCollapse = "diversity_collapse"
    case championStaleness = "champion_staleness"
    case lowSuccessRate = "low_success_rate"
    case orphanedContainers = "orphaned_containers"
    /// The resident memory's trend reaches the memory limit within the horizon.
    case memoryLeak = "memory_leak"
    /// No iteration recorded for `multiple` x the expected iteration time.
    case loopStuck = "loop_stuck"
}

extension AlertType {
    /// A short title, the same in the Prometheus rules and in what finmon sends to Alertmanager.
    public var summary: String {
        switch self {
        case .highMemory: "High memory usage"
        case .highCPU: "High CPU usage"
        case .diversityCollapse: "Population diversity collapsed"
        case .championStaleness: "Champion is stale"
        case .lowSuccessRate: "Low strategy success rate"
        case .orphanedContainers: "Orphaned sandbox containers"
        case .memoryLeak: "Resident memory trend reaches the memory limit"
        case .loopStuck: "Loop is stuck"
        }
    }

    /// The resource alerts: their signals are sampled, noisy host measurements, so they
    /// have hold-down (`for`) defaults and hysteresis; the others count iterations.
    public var hasHysteresis: Bool { self == .highMemory || self == .highCPU }
}
