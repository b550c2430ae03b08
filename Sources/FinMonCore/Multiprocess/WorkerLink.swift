import Glibc
import Synchronization

/// A registry's place in a multiprocess run: which slot of the run's `WorkerSegment` this
/// process writes, and in the parent, the merge of every slot into the exposition.
///
/// Every write to a series of a linked registry also goes to this process's slot (an
/// atomic add or store into shared memory). The parent's exporter, before each scrape,
/// folds the slots of exited workers into slot 0 and shows, for each series, slot 0 plus
/// the live slots (counters, histograms) or the gauge's `GaugeMode` over live slots.
/// A forked child claims a slot of its own in `afterForkInChild()`; a spawned one joins
/// with `attach(path:)`; at exit a worker calls `detachAll()` (finmon's Python does), or
/// the parent folds its slot once it sees the process gone.
///
/// ```swift
/// let link = try WorkerLink.create()                  // parent
/// let collector = try MetricsCollector(multiprocess: link)
/// // in a spawned worker:
/// let worker = try MetricsCollector(multiprocess: WorkerLink.attach(path: link.segment.path))
/// ```
public final class WorkerLink: Sendable {
    public let segment: WorkerSegment
    /// The process that made the segment: it merges, and removes the segment's name at the end.
    public let creatorPID: Int32
    private let slot = Atomic<Int>(0)
    /// The process `slot` was claimed by: a forked child that has not claimed its own yet
    /// must not write its parent's.
    private let slotPID = Atomic<Int32>(0)
    private let modes = Mutex<[String: GaugeMode]>([:])
    public let defaultGaugeMode: GaugeMode
    private struct MergeState {
        var series: [Int: Series] = [:]
    }
    private let mergeState = Mutex(MergeState())
    /// Writes that reached no slot (no slot free, or the segment's entries full).
    public let unmirrored = Atomic<Int>(0)

    private static let links = Mutex<[Weak]>([])
    private struct Weak: @unchecked Sendable { weak var link: WorkerLink? }

    /// Made by `create` (the parent's), not `attach`.
    private let owns: Bool

    private init(segment: WorkerSegment, creatorPID: Int32, gaugeMode: GaugeMode, owns: Bool) {
        self.owns = owns
        self.segment = segment
        self.creatorPID = creatorPID
        defaultGaugeMode = gaugeMode
    }

    /// A new run: a new segment, and the parent's own slot.
    public static func create(slots: Int = 256, gaugeMode: GaugeMode = .latest) throws(MultiprocessError) -> WorkerLink {
        let link = WorkerLink(segment: try WorkerSegment.create(slots: slots), creatorPID: getpid(), gaugeMode: gaugeMode, owns: true)
        try link.claimSlot()
        return link
    }

    /// Joins the run whose segment is at `path` (a spawned worker).
    public static func attach(path: String, gaugeMode: GaugeMode = .latest) throws(MultiprocessError) -> WorkerLink {
        let segment = try WorkerSegment.open(path: path)
        let link = WorkerLink(
            segment: segment, creatorPID: Int32(truncatingIfNeeded: segment.header(.ownerPID)), gaugeMode: gaugeMode,
            owns: false)
        try link.claimSlot()
        return link
    }

    deinit {
        let mine = slot.load(ordering: .relaxed)
        if isCreator {
            segment.unlink()
        } else if mine != 0 && slotPID.load(ordering: .relaxed) == getpid() {
            segment.fold(mine, owner: getpid())
        }
    }

    private func claimSlot() throws(MultiprocessError) {
        guard let claimed = segment.claim() else { throw .full(slots: segment.slots) }
        slot.store(claimed, ordering: .releasing)
        slotPID.store(getpid(), ordering: .releasing)
        Self.links.withLock { links in
            links.removeAll { $0.link == nil }
            links.append(Weak(link: self))
        }
    }

    /// The parent's link in the parent (a forked child's copy is a worker's).
    public var isCreator: Bool { owns && getpid() == creatorPID }
    public var currentSlot: Int { slot.load(ordering: .acquiring) }

    /// In a forked child: the parent's slot is the parent's; claim one of its own (once,
    /// however often the fork handlers call this).
    public static func afterForkInChild() {
        let me = getpid()
        for link in Self.links.withLock({ $0.compactMap(\.link) }) where link.slotPID.load(ordering: .acquiring) != me {
            link.slot.store(link.segment.claim() ?? 0, ordering: .releasing)
            link.slotPID.store(me, ordering: .releasing)
        }
    }

    /// A worker's exit: its slot's counters and histograms go to the run's totals and the
    /// slot is free for the next worker. Later writes of this process reach no slot.
    public static func detachAll() {
        for link in Self.links.withLock({ $0.compactMap(\.link) }) where !link.isCreator {
            guard link.slotPID.load(ordering: .acquiring) == getpid() else { continue }
            let mine = link.slot.exchange(0, ordering: .acquiringAndReleasing)
            if mine != 0 { link.segment.fold(mine, owner: getpid()) }
        }
    }

    public func setGaugeMode(_ mode: GaugeMode, for family: String) {
        modes.withLock { $0[family] = mode }
    }

    public func gaugeMode(of family: String) -> GaugeMode {
        modes.withLock { $0[family] } ?? defaultGaugeMode
    }

    // MARK: writes (any process)

    static func valueCount(of type: MetricType, buckets: Int) -> Int {
        switch type {
        case .counter: 1
        case .gauge: 2       // value, sequence of the last set (0: never set)
        case .histogram: buckets + 1  // per-bucket counts, then the sum
        }
    }

    private func target(_ series: Series) -> (slot: Int, offset: Int)? {
        let slot = slot.load(ordering: .relaxed)
        guard slot != 0, !series.isDetached, slotPID.load(ordering: .relaxed) == getpid(),
              let mirror = series.mirror else {
            _ = unmirrored.add(1, ordering: .relaxed)
            return nil
        }
        var offset = mirror.offset.load(ordering: .relaxed)
        if offset == -1 {
            let kind: WorkerSegment.Kind = series.type == .counter ? .counter : series.type == .gauge ? .gauge : .histogram
            let found = segment.findOrAdd(
                payload: mirror.payload, kind: kind,
                valueCount: Self.valueCount(of: series.type, buckets: series.upperBounds.count))
            offset = found?.offset ?? -2
            mirror.offset.store(offset, ordering: .relaxed)
        }
        guard offset >= 0 else {
            _ = unmirrored.add(1, ordering: .relaxed)
            return nil
        }
        return (slot, offset)
    }

    func add(_ series: Series, _ amount: Double) {
        guard let (slot, offset) = target(series) else { return }
        segment.addDouble(slot: slot, at: offset, amount)
        if series.type == .gauge { segment.store(slot: slot, at: offset + 1, segment.nextSequence()) }
    }

    func set(_ series: Series, _ value: Double) {
        guard let (slot, offset) = target(series) else { return }
        segment.store(slot: slot, at: offset, value.bitPattern)
        if series.type == .gauge { segment.store(slot: slot, at: offset + 1, segment.nextSequence()) }
    }

    func observe(_ series: Series, bucket: Int, _ sample: Double) {
        guard let (slot, offset) = target(series) else { return }
        segment.addDouble(slot: slot, at: offset + bucket, 1)
        segment.addDouble(slot: slot, at: offset + series.upperBounds.count, sample)
    }

    // MARK: the parent's merge

    /// Folds exited workers, then sets every linked series' merged value (called before
    /// each scrape through the registry's collectors). Its work is entries x live slots:
    /// the same after 10 worker restarts and after 10,000.
    func merge(into registry: MetricsRegistry) {
        guard isCreator else { return }
        segment.reapExited()
        // Entries are keyed by their whole payload (help included), so two entries may be
        // one series of the parent's: values are gathered per series, then set once.
        var scalars: [ObjectIdentifier: (series: Series, total: Double)] = [:]
        var histograms: [ObjectIdentifier: (series: Series, totals: [Double])] = [:]
        var gauges: [ObjectIdentifier: (series: Series, readings: [GaugeReading])] = [:]
        segment.withLock {
            let live = segment.liveSlots
            for index in 0..<segment.entryCount {
                let entry = segment.entryShape(index)
                guard let series = series(for: index, in: registry) else { continue }
                let key = ObjectIdentifier(series)
                switch entry.kind {
                case .counter:
                    var total = Double(bitPattern: segment.value(slot: 0, at: entry.offset))
                    for slot in live { total += Double(bitPattern: segment.value(slot: slot, at: entry.offset)) }
                    scalars[key, default: (series, 0)].total += total
                case .histogram:
                    var totals = histograms[key]?.totals ?? [Double](repeating: 0, count: entry.count)
                    guard totals.count == entry.count else { continue }
                    for slot in [0] + live {
                        for i in 0..<entry.count { totals[i] += Double(bitPattern: segment.value(slot: slot, at: entry.offset + i)) }
                    }
                    histograms[key] = (series, totals)
                case .gauge:
                    var readings = gauges[key]?.readings ?? []
                    for slot in live {
                        let sequence = segment.value(slot: slot, at: entry.offset + 1)
                        guard sequence != 0 else { continue }  // never set by this process
                        let value = Double(bitPattern: segment.value(slot: slot, at: entry.offset))
                        readings.append(GaugeReading(slot: slot, value: value, sequence: sequence))
                    }
                    gauges[key] = (series, readings)
                }
            }
        }
        for (series, total) in scalars.values { series.setMerged(.scalar(total)) }
        for (series, var totals) in histograms.values {
            let sum = totals.removeLast()
            series.setMerged(.histogram(buckets: totals.map { UInt64(max(0, $0)) }, sum: sum))
        }
        for (series, readings) in gauges.values { series.setMerged(merged(readings, mode: gaugeMode(of: series.familyName))) }
    }

    private struct GaugeReading {
        let slot: Int
        let value: Double
        let sequence: UInt64
    }

    private func merged(_ readings: [GaugeReading], mode: GaugeMode) -> MergedValue? {
        let latest = readings.max { $0.sequence < $1.sequence }?.value
        if mode == .worker {
            let each = readings.sorted { $0.slot < $1.slot }.map { WorkerReading(worker: String($0.slot), value: $0.value) }
            return .workers(each, latest: latest ?? 0)
        }
        guard let latest else { return nil }  // no live process holds a reading: the parent's own value
        return switch mode {
        case .sum: .scalar(readings.reduce(0) { $0 + $1.value })
        case .max: .scalar(readings.map(\.value).max() ?? latest)
        case .min: .scalar(readings.map(\.value).min() ?? latest)
        case .latest, .worker: .scalar(latest)
        }
    }

    /// The parent's series for an entry: its family registered from the entry when only
    /// workers define it (a metric a spawned worker made). Cached by entry; a series the
    /// parent removed since (a `remove`, container cleanup) is looked up again.
    private func series(for index: Int, in registry: MetricsRegistry) -> Series? {
        if let cached = mergeState.withLock({ $0.series[index] }), !cached.isRemoved { return cached }
        guard let found = SeriesPayload.decode(segment.entryPayload(index)) else { return nil }
        var family = registry.family(named: found.name)
        if family == nil {
            family = try? registry.register(
                found.type, name: found.name, help: found.help, labelNames: found.labelNames,
                buckets: found.type == .histogram ? Array(found.bounds.dropLast()) : nil)
        }
        guard let family, family.type == found.type, family.labelNames == found.labelNames,
              let series = try? family.labels(found.labelValues) else { return nil }
        mergeState.withLock { $0.series[index] = series }
        return series
    }

    /// The registry is gone: forget the merge's series (they hold this link), and in the
    /// parent remove the segment's name (workers still running keep their mapping).
    func releaseAfterRegistry() {
        mergeState.withLock { $0.series = [:] }
        if isCreator { segment.unlink() }
    }

    /// For tests and `finmon_collector_multiprocess_info`: the segment's counts.
    public var info: [String: Int] {
        [
            "size_bytes": segment.size, "slots": segment.slots, "live_slots": segment.liveSlots.count,
            "entries": segment.entryCount, "folded_workers": Int(segment.header(.foldedWorkers)),
            "claims": Int(segment.header(.claims)), "dropped_entries": Int(segment.header(.droppedEntries)),
            "unmirrored_writes": unmirrored.load(ordering: .relaxed),
        ]
    }
}

extension WorkerLink {
    /// What `detachAll()` does for one link, for tests that play several workers in one
    /// process (a link attached in the creator's process is a worker too).
    func detachForTests() {
        let mine = slot.exchange(0, ordering: .acquiringAndReleasing)
        if mine != 0 { segment.fold(mine, owner: getpid()) }
    }
}
