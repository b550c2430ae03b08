/// What Alertmanager must be told, kept as state rather than as a queue of events.
///
/// Alertmanager identifies an alert by its labels and wants the current state re-posted
/// (firing alerts carry an `endsAt` a little in the future, which each re-send pushes on);
/// a resolve is a post with `endsAt` in the past. So per alert type it is enough to keep
/// the firing event, or the resolve not yet delivered: a later event of the same type
/// supersedes an earlier one. Nothing can pile up while Alertmanager is down.
struct AlertmanagerOutbox: Sendable, Equatable {
    /// One alert of a post, with the `endsAt` it is sent with.
    struct Entry: Sendable, Equatable {
        let event: AlertEvent
        let endsAtEpochSeconds: Double
    }

    private(set) var firing = PerAlertType<AlertEvent?>(repeating: nil)
    private(set) var unsentResolved = PerAlertType<AlertEvent?>(repeating: nil)
    /// Bumped on every recorded event; a post acknowledges the count it was built at.
    private var changes: UInt64 = 0
    private var acknowledgedChanges: UInt64 = 0
    private var inFlight: Flight?
    private(set) var lastPostSeconds: Double?

    private struct Flight: Sendable, Equatable {
        let changes: UInt64
        let resolved: [AlertEvent]
    }

    mutating func record(_ event: AlertEvent) {
        switch event.status {
        case .firing:
            firing[event.alertType] = event
            unsentResolved[event.alertType] = nil
        case .resolved:
            firing[event.alertType] = nil
            unsentResolved[event.alertType] = event
        }
        changes &+= 1
    }

    var isInFlight: Bool { inFlight != nil }
    var hasChanges: Bool { changes != acknowledgedChanges }
    var hasFiring: Bool { AlertType.allCases.contains { firing[$0] != nil } }

    /// When the firing alerts must be re-posted; nil when none fires.
    func resendDue(resendIntervalSeconds: Double) -> Double? {
        guard hasFiring else { return nil }
        return (lastPostSeconds ?? 0) + resendIntervalSeconds
    }

    func isDue(at now: Double, resendIntervalSeconds: Double) -> Bool {
        guard !isInFlight else { return false }
        if hasChanges { return true }
        guard let due = resendDue(resendIntervalSeconds: resendIntervalSeconds) else { return false }
        return now >= due
    }

    /// The alerts of the next post, marked in flight: every firing alert with `endsAt`
    /// four resend intervals ahead (Prometheus' rule, so a finmon that dies lets its alerts
    /// resolve on their own), then every undelivered resolve with `endsAt` at its time.
    mutating func takePost(nowEpochSeconds: Double, resendIntervalSeconds: Double) -> [Entry] {
        let validUntil = nowEpochSeconds + 4 * resendIntervalSeconds
        var entries: [Entry] = []
        var resolved: [AlertEvent] = []
        for type in AlertType.allCases {
            if let event = firing[type] { entries.append(Entry(event: event, endsAtEpochSeconds: validUntil)) }
            if let event = unsentResolved[type] {
                entries.append(Entry(event: event, endsAtEpochSeconds: event.epochSeconds))
                resolved.append(event)
            }
        }
        inFlight = Flight(changes: changes, resolved: resolved)
        return entries
    }

    /// The alerts of the post a clean stop makes: every firing alert and undelivered
    /// resolve, all with `endsAt` now, so Alertmanager resolves them at once instead of
    /// at the `endsAt` of the last re-send. Changes nothing: the engine still holds them
    /// firing, and a later start posts them again.
    func stopPost(nowEpochSeconds: Double) -> [Entry] {
        AlertType.allCases.flatMap { type in
            [firing[type], unsentResolved[type]].compactMap { $0 }.map {
                Entry(event: $0, endsAtEpochSeconds: $0.status == .resolved ? $0.epochSeconds : nowEpochSeconds)
            }
        }
    }

    /// The post in flight was accepted (or refused for good): its resolves are done, unless
    /// a newer event replaced them meanwhile, and the state it carried is acknowledged.
    mutating func completeInFlight(at now: Double) {
        guard let sent = inFlight else { return }
        inFlight = nil
        for event in sent.resolved where unsentResolved[event.alertType] == event {
            unsentResolved[event.alertType] = nil
        }
        acknowledgedChanges = sent.changes
        lastPostSeconds = now
    }

    /// The post failed, or its answer will never be read: everything stays to be sent.
    mutating func releaseInFlight() {
        inFlight = nil
    }

    var pendingCount: Int {
        AlertType.allCases.reduce(0) { $0 + (firing[$1] == nil ? 0 : 1) + (unsentResolved[$1] == nil ? 0 : 1) }
    }
}
