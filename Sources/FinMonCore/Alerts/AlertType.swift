/// The alert kinds of the original design; the raw values are the names used everywhere
/// else (config keys, the `alert_type` label, JSON logs, Prometheus alert names).
public enum AlertType: String, Sendable, Hashable, CaseIterable {
    case highMemory = "high_memory"
    case highCPU = "high_cpu"
    case diversityCollapse = "diversity_collapse"
    case championStaleness = "champion_staleness"
    case lowSuccessRate = "low_success_rate"
    case orphanedContainers = "orphaned_containers"
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
        }
    }
}
