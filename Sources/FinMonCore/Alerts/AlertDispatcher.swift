import NIOCore
import NIOHTTP1
import Synchronization

/// Delivers alert events to Alertmanager (`POST /api/v2/alerts`) and to a generic JSON
/// webhook, without ever blocking the caller: requests run on the runtime's event loop
/// as futures, and `enqueue` only records what is to be sent.
///
/// A failed delivery is kept and retried with exponential backoff; the first failure of
/// an outage and the recovery are logged once each. Firing alerts are re-posted to
/// Alertmanager every resend interval (it resolves alerts that stop being posted).
/// Every request, timer and answer belongs to a generation of the delivery job
/// (`EventLoopJob`): `stop` and `configure` start a new one, so a late answer or timer
/// from before changes nothing and schedules nothing.
final class AlertDispatcher: Sendable {
    enum Receiver: String, Sendable, CaseIterable {
        case alertmanager
        case webhook
    }

    /// Where one receiver is reached: the URL as configured, its endpoint and request path.
    struct Target: Sendable, Equatable {
        let url: String
        let endpoint: HTTPEndpoint
        let path: String
    }

    private struct State: Sendable {
        var alertmanager: Target?
        var webhook: Target?
        var labels: [String: String] = [:]
        var resendIntervalSeconds = 60.0
        var policy: AlertDeliveryPolicy
        var outbox = AlertmanagerOutbox()
        var queue: WebhookOutbox
        var alertmanagerBackoff: DeliveryBackoff
        var webhookBackoff: DeliveryBackoff
        /// A receiver is "down" from its first failed delivery to the next success: one
        /// warning when it goes down, one line when it is back.
        var down = WarningLatch<Receiver>()
        var webhookDropped = 0
        var droppingNoticeGiven = false
        /// When the delivery job's timer fires (monotonic seconds); nil without a timer.
        var timerDeadline: Double?

        init(policy: AlertDeliveryPolicy) {
            self.policy = policy
            queue = WebhookOutbox(capacity: policy.webhookQueueCapacity)
            alertmanagerBackoff = DeliveryBackoff(policy: policy)
            webhookBackoff = DeliveryBackoff(policy: policy)
        }

        var hasTargets: Bool { alertmanager != nil || webhook != nil }
    }

    private enum Send: Sendable {
        case alertmanager(Target, count: Int, body: String)
        case webhook(Target, body: String)

        var receiver: Receiver {
            switch self {
            case .alertmanager: .alertmanager
            case .webhook: .webhook
            }
        }
    }

    private enum Outcome {
        case delivered
        /// The receiver answered but refused the request; sending it again cannot help.
        case rejected(String)
        /// Unreachable, timed out or a server error: worth retrying.
        case failed(String)
    }

    private let state: Mutex<State>
    /// Sends and the retry/re-send timer run on the library's loop through this job.
    private let delivery: EventLoopJob
    private let notifications: LabeledMetric<Counter>
    private let events: EventQueue

    init(catalog: MetricsCatalog, events: EventQueue, threads: any EventLoopSource, policy: AlertDeliveryPolicy = .default) {
        state = Mutex(State(policy: policy))
        delivery = EventLoopJob(threads: threads)
        notifications = catalog.alertNotificationsTotal
        self.events = events
    }

    /// Sets the receivers and starts afresh: nothing pending from before is kept.
    /// A URL that cannot be used (the config parser refuses those; a config built in code
    /// may not) disables its receiver with a warning.
    func configure(
        alertmanagerURL: String?, webhookURL: String?, resendIntervalSeconds: Double, labels: [String: String],
        policy: AlertDeliveryPolicy
    ) {
        var notices: [RuntimeEvent] = []
        func target(_ url: String?, _ receiver: Receiver) -> Target? {
            guard let url else { return nil }
            do {
                let (endpoint, basePath) = try HTTPEndpoint.parseBaseURL(url)
                let path = receiver == .alertmanager ? basePath + "/api/v2/alerts" : (basePath.isEmpty ? "/" : basePath)
                return Target(url: url, endpoint: endpoint, path: path)
            } catch {
                notices.append(RuntimeEvent(level: .warning, message: "\(receiver.rawValue) disabled: \(error)"))
                return nil
            }
        }
        let alertmanager = target(alertmanagerURL, .alertmanager)
        let webhook = target(webhookURL, .webhook)
        state.withLock { state in
            // A new generation under the lock: nothing of the old one acts on the new state.
            delivery.stop()
            var fresh = State(policy: policy)
            fresh.alertmanager = alertmanager
            fresh.webhook = webhook
            fresh.labels = AlertmanagerPayload.defaultLabels(configured: labels)
            fresh.resendIntervalSeconds = resendIntervalSeconds.isFinite && resendIntervalSeconds > 0
                ? resendIntervalSeconds : 60
            state = fresh
        }
        // Zero series for the configured receivers, so rate() and absent() work from the start.
        for receiver in [alertmanager.map { _ in Receiver.alertmanager }, webhook.map { _ in .webhook }].compactMap({ $0 }) {
            for result in ["success", "failure", "dropped"] {
                _ = notifications.child([receiver.rawValue, result])
            }
        }
        for notice in notices { events.push(notice) }
    }

    /// Records events for delivery; call `kick` afterwards (outside any lock of the caller's
    /// that the event loop might need).
    func enqueue(_ alertEvents: [AlertEvent]) {
        var dropped = 0
        var notice: RuntimeEvent?
        state.withLock { state in
            for event in alertEvents {
                if state.alertmanager != nil { state.outbox.record(event) }
                if let webhook = state.webhook {
                    let lost = state.queue.enqueue(event)
                    dropped += lost
                    state.webhookDropped &+= lost
                    if lost > 0 && !state.droppingNoticeGiven {
                        state.droppingNoticeGiven = true
                        notice = RuntimeEvent(
                            level: .warning,
                            message: "webhook \(webhook.url): \(state.queue.capacity) alert events are waiting; "
                                + "dropping the oldest (the alert log keeps every event)")
                    }
                }
            }
        }
        if dropped > 0 { count(.webhook, "dropped", dropped) }
        if let notice { events.push(notice) }
    }

    /// Starts sending what is pending (and the re-send timer of firing alerts), on the
    /// event loop. Returns at once.
    func kick() {
        let needed = state.withLock { state in
            // Firing alerts count: after a stop their re-send timer has to be set again.
            state.hasTargets && (state.outbox.hasChanges || state.outbox.hasFiring || state.queue.hasWork)
        }
        guard needed else { return }
        delivery.execute(in: delivery.generation) { generation, loop in self.pump(generation, on: loop) }
    }

    /// Abandons timers and requests in flight (their answers are ignored; what they carried
    /// stays pending and goes out on the next kick). Prompt: waits for nothing.
    func stop() {
        state.withLock { state in
            delivery.stop()
            releaseInFlight(&state)
        }
    }

    /// `stop` for a forked child, where the parent's loop does not run: nothing is
    /// cancelled on it, the references are only dropped.
    func forgetAfterFork() {
        state.withLock { state in
            delivery.forgetAfterFork()
            releaseInFlight(&state)
        }
    }

    private func releaseInFlight(_ state: inout State) {
        state.outbox.releaseInFlight()
        state.queue.releaseInFlight()
        state.timerDeadline = nil
    }

    var status: AlertDeliveryStatus {
        state.withLock { state in
            AlertDeliveryStatus(
                alertmanagerURL: state.alertmanager?.url,
                alertmanagerPending: state.alertmanager == nil ? 0 : state.outbox.pendingCount,
                alertmanagerInSync: !state.outbox.hasChanges,
                alertmanagerDown: state.down.isFailing(.alertmanager),
                webhookURL: state.webhook?.url,
                webhookPending: state.queue.pending.count,
                webhookDown: state.down.isFailing(.webhook),
                webhookDropped: state.webhookDropped)
        }
    }

    // MARK: - On the event loop

    private func pump(_ generation: Generation, on loop: any EventLoop) {
        let now = AlertTime.now()
        let sends = state.withLock { state -> [Send] in
            guard delivery.isCurrent(generation) else { return [] }
            var sends: [Send] = []
            if let target = state.alertmanager, state.alertmanagerBackoff.allowsAttempt(at: now.monotonicSeconds),
               state.outbox.isDue(at: now.monotonicSeconds, resendIntervalSeconds: state.resendIntervalSeconds) {
                let entries = state.outbox.takePost(
                    nowEpochSeconds: now.epochSeconds, resendIntervalSeconds: state.resendIntervalSeconds)
                if entries.isEmpty {
                    state.outbox.completeInFlight(at: now.monotonicSeconds)
                } else {
                    let body = AlertmanagerPayload.render(entries, labels: state.labels)
                    sends.append(.alertmanager(target, count: entries.count, body: body))
                }
            }
            if let target = state.webhook, state.webhookBackoff.allowsAttempt(at: now.monotonicSeconds),
               let event = state.queue.takeNext() {
                sends.append(.webhook(target, body: event.jsonLine()))
            }
            reschedule(&state, now: now.monotonicSeconds, generation: generation)
            return sends
        }
        for send in sends { perform(send, on: loop, generation: generation) }
    }

    /// Keeps one timer for the earliest moment something becomes due: a retry after
    /// backoff, or the re-post of firing alerts.
    private func reschedule(_ state: inout State, now: Double, generation: Generation) {
        var wake: Double?
        func consider(_ time: Double) { wake = min(wake ?? time, time) }
        if state.alertmanager != nil && !state.outbox.isInFlight {
            let retryAt = state.alertmanagerBackoff.retryAtSeconds
            if state.outbox.hasChanges { consider(max(retryAt, now)) }
            if let due = state.outbox.resendDue(resendIntervalSeconds: state.resendIntervalSeconds) {
                consider(max(due, retryAt))
            }
        }
        if state.webhook != nil && state.queue.hasWork {
            consider(max(state.webhookBackoff.retryAtSeconds, now))
        }
        if wake == state.timerDeadline { return }
        state.timerDeadline = wake
        guard let wake else {
            delivery.cancelTimer()
            return
        }
        let nanoseconds = Int64((max(wake - now, 0) * 1e9).rounded(.up).clamped(to: 0...1e15))
        delivery.schedule(in: .nanoseconds(nanoseconds), in: generation) { [weak self] generation, loop in
            self?.timerFired(generation, on: loop)
        }
    }

    private func timerFired(_ generation: Generation, on loop: any EventLoop) {
        let current = state.withLock { state -> Bool in
            guard delivery.isCurrent(generation) else { return false }
            state.timerDeadline = nil
            return true
        }
        if current { pump(generation, on: loop) }
    }

    private func perform(_ send: Send, on loop: any EventLoop, generation: Generation) {
        let (target, body): (Target, String)
        switch send {
        case .alertmanager(let t, _, let b): (target, body) = (t, b)
        case .webhook(let t, let b): (target, body) = (t, b)
        }
        let timeout = state.withLock { $0.policy.requestTimeoutSeconds }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        let request = HTTPRequest(endpoint: target.endpoint, method: .POST, path: target.path, headers: headers, body: Array(body.utf8))
        // Answers are read only for their status and an error excerpt: a small cap suffices.
        let client = HTTPClient(eventLoopGroup: loop, maxBodyBytes: 64 * 1024)
        client.execute(request, timeout: .nanoseconds(Int64(timeout * 1e9))).whenComplete { result in
            self.finish(send, outcome: Self.outcome(of: result), generation: generation, on: loop)
        }
    }

    private static func outcome(of result: Result<HTTPResponse, any Error>) -> Outcome {
        switch result {
        case .success(let response):
            if response.isSuccess { return .delivered }
            let excerpt = String(decoding: response.body.prefix(200), as: UTF8.self)
            let text = "HTTP \(response.statusCode)" + (excerpt.isEmpty ? "" : ": \(excerpt)")
            // 408 and 429 say "later"; other 4xx say the request itself is wrong.
            if (400..<500).contains(response.statusCode) && response.statusCode != 408 && response.statusCode != 429 {
                return .rejected(text)
            }
            return .failed(text)
        case .failure(let error):
            return .failed("\(error)")
        }
    }

    private func finish(_ send: Send, outcome: Outcome, generation: Generation, on loop: any EventLoop) {
        let now = AlertTime.now().monotonicSeconds
        let receiver = send.receiver
        let sent: Int
        if case .alertmanager(_, let count, _) = send { sent = count } else { sent = 1 }
        // A stale generation's answer changes and counts nothing: what it carried is pending again.
        let (current, notice) = state.withLock { state -> (Bool, RuntimeEvent?) in
            guard delivery.isCurrent(generation) else { return (false, nil) }
            let url = (receiver == .alertmanager ? state.alertmanager?.url : state.webhook?.url) ?? ""
            let name = receiver == .alertmanager ? "Alertmanager" : "webhook"
            var notice: RuntimeEvent?
            switch outcome {
            case .delivered, .rejected:
                if receiver == .alertmanager {
                    state.outbox.completeInFlight(at: now)
                } else {
                    state.queue.removeInFlight()
                }
                if receiver == .alertmanager {
                    state.alertmanagerBackoff.recordSuccess()
                } else {
                    state.webhookBackoff.recordSuccess()
                }
                let recovered = state.down.recordSuccess(receiver)
                if receiver == .webhook { state.droppingNoticeGiven = false }
                if case .rejected(let reason) = outcome {
                    notice = RuntimeEvent(
                        level: .warning, message: "\(name) \(url) refused \(sent) alert notification(s): \(reason); not retried")
                } else if recovered {
                    notice = RuntimeEvent(level: .info, message: "\(name) \(url) is reachable again; alert delivery resumed")
                }
            case .failed(let reason):
                if receiver == .alertmanager {
                    state.outbox.releaseInFlight()
                    state.alertmanagerBackoff.recordFailure(at: now)
                } else {
                    state.queue.releaseInFlight()
                    state.webhookBackoff.recordFailure(at: now)
                }
                if state.down.recordFailure(receiver) {
                    notice = RuntimeEvent(
                        level: .warning,
                        message: "\(name) \(url) unreachable: \(reason); alerts are kept (and in the alert log) "
                            + "and retried with backoff")
                }
            }
            return (true, notice)
        }
        guard current else { return }
        switch outcome {
        case .delivered: count(receiver, "success", sent)
        case .rejected, .failed: count(receiver, "failure", sent)
        }
        if let notice { events.push(notice) }
        pump(generation, on: loop)
    }

    private func count(_ receiver: Receiver, _ result: String, _ amount: Int) {
        notifications.child([receiver.rawValue, result]).inc(by: amount)
    }
}

private extension Double {
    func clamped(to range: ClosedRange<Double>) -> Double {
        Swift.min(Swift.max(self, range.lowerBound), range.upperBound)
    }
}
