/// The containers the loop told the monitor about, and what goes with each: the token of
/// its current tracking (so a cleaned-up container's late answer does not bring its
/// series back), the stats query on its way, its CPU baseline and its two series.
///
/// Pure state, kept under the `ContainerMonitor`'s lock. Series hygiene lives here: a
/// container's series and baseline go when it is untracked, whatever the reason.
struct ContainerTracking {
    /// Container id (as the loop names it: full id, short id or name) -> its tracking.
    private(set) var tracked: [String: Generation] = [:]
    /// Ids with a stats query on its way.
    private(set) var querying: Set<String> = []
    private var trackings = Generation()
    private var calculator = ContainerStatsCalculator()
    private let memoryUsage: LabeledMetric<Gauge>
    private let cpuUsage: LabeledMetric<Gauge>
    private let active: Metric<Gauge>

    init(catalog: MetricsCatalog) {
        memoryUsage = catalog.containerMemoryUsageBytes
        cpuUsage = catalog.containerCPUUsagePercent
        active = catalog.activeContainers
    }

    /// Tracks `id` from now on, unless it is already (then `active_containers` stays);
    /// returns the token of its tracking.
    mutating func track(_ id: String) -> Generation {
        if let existing = tracked[id] { return existing }
        let token = trackings.advance()
        tracked[id] = token
        active.set(Double(tracked.count))
        return token
    }

    func isCurrent(_ id: String, _ token: Generation) -> Bool {
        tracked[id] == token
    }

    /// Whether the loop tracks `container` under any of its names.
    func tracks(_ container: ContainerSummary) -> Bool {
        tracked.keys.contains { Self.names(container, $0) }
    }

    /// Stops tracking `id`: its series and CPU baseline go.
    mutating func untrack(_ id: String) {
        tracked[id] = nil
        calculator.forget(id: id)
        memoryUsage.remove([id])
        cpuUsage.remove([id])
        active.set(Double(tracked.count))
    }

    /// Stops tracking every name of `container`.
    mutating func untrack(namesOf container: ContainerSummary) {
        for id in tracked.keys where Self.names(container, id) {
            untrack(id)
        }
    }

    // MARK: Queries

    /// Claims a stats query for `id`, unless one is on its way or `limit` are.
    mutating func claimQuery(_ id: String, limit: Int) -> Bool {
        guard !querying.contains(id), querying.count < limit else { return false }
        querying.insert(id)
        return true
    }

    /// Claims a query for every tracked container without one on its way.
    mutating func claimAll() -> [(id: String, token: Generation)] {
        var claimed: [(id: String, token: Generation)] = []
        for (id, token) in tracked where !querying.contains(id) {
            querying.insert(id)
            claimed.append((id, token))
        }
        return claimed
    }

    /// The query for `id` answered (or will never be sent).
    mutating func release(_ id: String) {
        querying.remove(id)
    }

    mutating func release(_ ids: [String]) {
        querying.subtract(ids)
    }

    /// Forgets every query on its way (the runtime is stopping its loop).
    mutating func releaseAll() {
        querying.removeAll()
    }

    /// Folds a stats answer into the container's series.
    mutating func record(_ sample: ContainerStatsSample, id: String) {
        let usage = calculator.record(id: id, sample: sample)
        // The id was checked by `ContainerMonitor.validate`: a valid label value.
        if let memory = usage.memoryUsageBytes { memoryUsage.child([id]).set(Double(memory)) }
        if let cpu = usage.cpuPercent { cpuUsage.child([id]).set(cpu) }
    }

    /// Whether `key` (as the loop tracks it: full id, short id or name) names `container`.
    static func names(_ container: ContainerSummary, _ key: String) -> Bool {
        if key == container.id { return true }
        if key.count >= 12, container.id.hasPrefix(key) { return true }
        return container.names.contains { $0 == key || $0 == "/" + key }
    }
}
