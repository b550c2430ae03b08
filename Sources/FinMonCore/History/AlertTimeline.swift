/// When each alert fired and resolved, as seen by `MetricsHistory` at its samples: the
/// report's alert timeline and the live page's recent alerts. Bounded to `capacity`
/// spans (the oldest resolved ones go first).
///
///     var timeline = AlertTimeline()
///     timeline.observe(active: [event], at: 100)   // high_memory fired at event.startsAt
///     timeline.observe(active: [], at: 110)        // ... and resolved at 110
struct AlertTimeline: Sendable {
    struct Span: Sendable, Equatable {
        let alertType: String
        let severity: String
        let message: String
        let firedAt: Double
        var resolvedAt: Double?
    }

    static let defaultCapacity = 1_000
    let capacity: Int
    private(set) var spans: [Span] = []
    /// Alerts fired since the start, including spans the bound let go.
    private(set) var fired = 0

    init(capacity: Int = AlertTimeline.defaultCapacity) {
        self.capacity = max(1, capacity)
    }

    /// Opens a span for each active alert not open yet and closes the open spans whose
    /// alert is no longer active.
    mutating func observe(active: [AlertEvent], at now: Double) {
        for index in spans.indices where spans[index].resolvedAt == nil {
            let span = spans[index]
            let still = active.contains { $0.alertType.rawValue == span.alertType && $0.startsAtEpochSeconds == span.firedAt }
            if !still { spans[index].resolvedAt = now }
        }
        for event in active {
            let open = spans.contains {
                $0.resolvedAt == nil && $0.alertType == event.alertType.rawValue && $0.firedAt == event.startsAtEpochSeconds
            }
            guard !open else { continue }
            spans.append(Span(alertType: event.alertType.rawValue, severity: event.severity.rawValue,
                              message: event.message, firedAt: event.startsAtEpochSeconds))
            fired += 1
        }
        if spans.count > capacity {
            spans.removeFirst(spans.count - capacity)
        }
    }

    /// `[{"alert_type": ..., "severity": ..., "message": ..., "fired_at": ..., "resolved_at": ...|null}]`.
    func json() -> String {
        "[" + spans.map { span in
            "{\"alert_type\": " + JSONText.quoted(span.alertType) + ", \"severity\": " + JSONText.quoted(span.severity)
                + ", \"message\": " + JSONText.quoted(span.message) + ", \"fired_at\": " + JSONText.number(span.firedAt)
                + ", \"resolved_at\": " + (span.resolvedAt.map(JSONText.number) ?? "null") + "}"
        }.joined(separator: ", ") + "]"
    }
}
