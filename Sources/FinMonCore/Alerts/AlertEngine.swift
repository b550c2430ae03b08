/// The alert state machine, one per alert type:
/// inactive -> pending (only when the rule has a `for` duration) -> firing -> resolved -> inactive.
///
/// `evaluate` reports transitions only: a condition that persists does not fire again,
/// and one that clears and returns fires anew. A missing signal changes nothing.
///
/// A value type with no locking of its own: the runtime keeps it inside its own Mutex
/// and so serialises `evaluate` with the readers. Being a struct makes a shared,
/// unsynchronised engine a compile error rather than a data race.
public struct AlertEngine: Sendable {
    public enum State: Sendable, Equatable {
        case inactive
        /// The condition holds since `sinceMonotonicSeconds`, but not yet for the rule's duration.
        case pending(sinceMonotonicSeconds: Double)
        /// Firing since the carried event.
        case firing(AlertEvent)
    }

    public let rules: [AlertRule]
    private var states = PerAlertType<State>(repeating: .inactive)
    private var triggered = PerAlertType<Int>(repeating: 0)

    /// With several rules of one type the last wins.
    public init(rules: [AlertRule]) {
        var table = PerAlertType<AlertRule?>(repeating: nil)
        for rule in rules { table[rule.type] = rule }
        self.rules = AlertType.allCases.compactMap { table[$0] }
    }

    public init(config: MonitoringConfig) {
        self.init(rules: AlertRule.rules(from: config))
    }

    /// Runs every rule against `snapshot` and returns the events that happen now,
    /// in `AlertType.allCases` order.
    public mutating func evaluate(_ snapshot: AlertSnapshot, now: AlertTime = .now()) -> [AlertEvent] {
        var events: [AlertEvent] = []
        for rule in rules {
            guard let reading = rule.evaluate(snapshot) else { continue }
            let type = rule.type
            switch (states[type], reading.breached) {
            case (.inactive, true):
                if rule.forSeconds > 0 {
                    states[type] = .pending(sinceMonotonicSeconds: now.monotonicSeconds)
                } else {
                    events.append(fire(rule, reading, snapshot, now))
                }
            case (.pending(let since), true):
                if now.monotonicSeconds - since >= rule.forSeconds {
                    events.append(fire(rule, reading, snapshot, now))
                }
            case (.pending, false):
                states[type] = .inactive
            case (.firing(let started), false):
                states[type] = .inactive
                events.append(AlertEvent(
                    alertType: type, severity: rule.severity, status: .resolved,
                    message: rule.message(value: reading.value, status: .resolved),
                    currentValue: reading.value, thresholdValue: rule.threshold,
                    epochSeconds: now.epochSeconds, startsAtEpochSeconds: started.epochSeconds,
                    iterationContext: snapshot.iteration))
            case (.firing, true), (.inactive, false):
                break
            }
        }
        return events
    }

    private mutating func fire(_ rule: AlertRule, _ reading: AlertRule.Reading, _ snapshot: AlertSnapshot, _ now: AlertTime) -> AlertEvent {
        let event = Self.firing(rule, reading, snapshot, now)
        activate(event)
        return event
    }

    private static func firing(_ rule: AlertRule, _ reading: AlertRule.Reading, _ snapshot: AlertSnapshot, _ now: AlertTime) -> AlertEvent {
        AlertEvent(
            alertType: rule.type, severity: rule.severity, status: .firing,
            message: rule.message(value: reading.value, status: .firing),
            currentValue: reading.value, thresholdValue: rule.threshold,
            epochSeconds: now.epochSeconds, startsAtEpochSeconds: now.epochSeconds,
            iterationContext: snapshot.iteration)
    }

    /// The firing event `type`'s rule raises for `snapshot` now, whatever the alert's state
    /// and `for` duration (the original design's `_check_*` methods); nil when the
    /// condition does not hold, its signal is missing, or the type has no rule (alerts
    /// disabled). Changes nothing.
    public func check(_ type: AlertType, _ snapshot: AlertSnapshot, now: AlertTime = .now()) -> AlertEvent? {
        guard let rule = rules.first(where: { $0.type == type }), let reading = rule.evaluate(snapshot),
              reading.breached else { return nil }
        return Self.firing(rule, reading, snapshot, now)
    }

    /// Marks `event`'s alert firing since the event and counts it (the design's
    /// `_trigger_alert`): later evaluations do not fire it again while its condition holds,
    /// and resolve it when the condition clears.
    public mutating func activate(_ event: AlertEvent) {
        states[event.alertType] = .firing(event)
        triggered[event.alertType] &+= 1
    }

    /// The firing event of every alert that is firing now, in `AlertType.allCases` order.
    public var activeAlerts: [AlertEvent] {
        AlertType.allCases.compactMap {
            if case .firing(let event) = states[$0] { return event }
            return nil
        }
    }

    func isActive(_ type: AlertType) -> Bool {
        if case .firing = states[type] { return true }
        return false
    }

    /// How many times the alert has started firing since the engine was made.
    func triggeredCount(_ type: AlertType) -> Int {
        triggered[type]
    }

    public func state(_ type: AlertType) -> State {
        states[type]
    }
}
