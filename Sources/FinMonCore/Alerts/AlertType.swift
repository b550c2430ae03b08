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
