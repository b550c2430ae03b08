/// Alerts about the loop's scrape target, which only Prometheus can raise: a loop that is
/// down or has vanished cannot report itself, nor can a log that fails record its own failure. Rendered into the rule file next to the
/// in-process `AlertType`s, with severities and `for` durations from the same config
/// tables (`monitoring.alerts.severities.loop_down`, `...for_seconds.loop_down`).
public enum TargetAlert: String, Sendable, Hashable, CaseIterable {
    /// The target is known but its scrape fails (`up == 0`): the process died or hangs.
    case loopDown = "loop_down"
    /// No target of the job exists at all (`absent(up{job=...})`): the scrape config or
    /// service discovery lost it.
    case loopAbsent = "loop_absent"
    /// finmon could not append to its alert log (`finmon_alert_log_errors_total` grew: a
    /// full disk, a lost permission). The alerts still reach logging and the receivers, but
    /// the record on disk has gaps; an alert about the log cannot go through the log.
    case alertLogFailing = "alert_log_failing"

    public var summary: String {
        switch self {
        case .loopDown: "Loop is down"
        case .loopAbsent: "Loop target is absent"
        case .alertLogFailing: "Alert log cannot be written"
        }
    }
}
