/// The sources a SystemSampler reads; the raw values are the `collector`
/// label of finmon_collection_errors_total.
public enum SystemCollector: String, Sendable, Hashable, CaseIterable {
    case cpu
    case memory
    case disk
    case process
    case cgroup
}
