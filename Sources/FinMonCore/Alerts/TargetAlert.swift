/// Alerts about the loop's scrape target, which only Prometheus can raise: a loop that is
/// down or has vanished cannot report itself. Rendered into the rule file next to the
/// in-process `AlertType`s, with severities and `for` durations from the same config
/// tables (`monitoring.alerts.severities.loop_down`, `...for_seconds.loop_down`).
public enum TargetAlert: String, Sendable, Hashable, CaseIterable {
    /// The target is known but its scrape fails (`up == 0`): the process died or hangs.
    case loopDown = "loop_down"
    /// No target of the job exists at all (`absent(up{job=...})`): the scrape config or
    /// service discovery lost it.
    case loopAbsent = "loop_absent"

    public var summary: String {
        switch self {
        case .loopDown: "Loop is down"
        case .loopAbsent: "Loop target is absent"
        }
    }
}
