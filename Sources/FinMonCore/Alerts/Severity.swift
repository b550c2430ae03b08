/// Alert severity; the raw values are what Alertmanager routes on (`severity` label).
public enum Severity: String, Sendable, Hashable, CaseIterable {
    case warning
    case critical
}
