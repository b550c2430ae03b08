import Glibc
import Synchronization

/// One time series: a family's label values and the value behind them.
///
/// Its `set`/`inc`/`dec`/`observe` check the family's type at run time, for callers that
/// name a family at run time (the C ABI). Code that knows the type holds a typed handle
/// (`Metric<Gauge>`, ...) whose writes cannot fail.
///
/// Counter and gauge values live in an atomic bit pattern, so a set or an increment from
/// the loop never waits for a scrape; histograms take a small lock because a bucket count,
/// the sum and the count must move together.
public final class Series: Sendable {
    // Field order matters: the object is 83 bytes, so malloc gives it a 96-byte chunk
    // (it was 144 bytes in a 160-byte chunk before the family's parts moved to `shape` and
    // the histogram's and multiprocess parts to `extras`; issue #16, resident memory).

    /// What the family's series share: its name, label count, histogram bounds.
    let shape: SeriesShape
    /// The counter or gauge value, the removed flag and a host's shard (a counter's or a
    /// histogram's), in memory a host may map (`ValueCell`).
    let cell: ValueCell
    /// A histogram's counts and a multiprocess run's mirror; nil for a plain counter or gauge.
    private let extras: SeriesExtras?
    /// An opaque token the C ABI keeps here (its handle for this series), so asking for the
    /// same labels twice hands back the same handle instead of filling the handle table.
    public let hostToken = Atomic<UInt64>(0)
    /// The label values, packed (`LabelKey`'s bytes: what the family's table compares),
    /// inline up to 16 bytes (`PackedLabels`). The only per-series copy of them: the
    /// escaped `name="value",...` a scrape writes is made from them and the family's label
    /// names at each scrape (`appendLabelBlock`), not kept (issue #16: 32 bytes less per
    /// series, for a few appends per series and scrape).
    /// Last but the one-byte fields, which fill the 18-byte enum's last word.
    let labels: PackedLabels
    /// Kept here rather than in `shape`: every write checks it. Next to `detachedFlag`, so
    /// the two share a word.
    public let type: MetricType
    /// Set once the series is removed from its family: writes through an old handle
    /// still succeed (as with prometheus_client's detached children) but reach no scrape.
    private let detachedFlag = Atomic<Bool>(false)
    /// No value holds a byte the exposition escapes (most series): the label block is
    /// then the values copied between the names.
    private let plainValues: Bool

    /// The label values, packed (what the family's table is keyed by).
    public var labelKey: LabelKey { LabelKey(packed: labels) }
    /// `name="value",...` escaped (made on each use: see `appendLabelBlock`).
    var labelBlock: [UInt8] {
        var block: [UInt8] = []
        appendLabelBlock(into: &block)
        return block
    }

    /// The label values, decoded from `labelKey` on each use: a series keeps one buffer,
    /// not an array of Strings.
    public var labelValues: [String] { labelKey.values(count: shape.labelCount) }

    /// Calls `body` with the key bytes, without copying them.
    func withKeyBytes<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        labels.withUnsafeBytes(body)
    }

    /// Whether the key bytes are `key`'s.
    func hasKey(_ key: UnsafeRawBufferPointer) -> Bool {
        guard key.count == labels.count else { return false }
        return withKeyBytes { mine in key.count == 0 || memcmp(mine.baseAddress!, key.baseAddress!, key.count) == 0 }
    }
    /// The family's name, kept for error messages only.
    public var familyName: String { shape.familyName }
    var upperBounds: [Double] { shape.upperBounds }
    /// A multiprocess run's link, entry and merge (nil otherwise): every write also goes to
    /// this process's slot of the run's segment, and the parent shows the merged value.
    var mirror: SeriesMirror? { extras?.mirror }
    /// The run's link (`WorkerLink`), nil outside a multiprocess run.
    var link: WorkerLink? { extras?.mirror?.link }
    /// Whether writes also go to a multiprocess run's segment: a host may not store into
    /// `cellAddress` itself then, or its stores would miss the segment.
    public var isLinked: Bool { link != nil }

    init(shape: SeriesShape, type: MetricType, labelNames: [String], labelKey: LabelKey, help: String = "",
         link: WorkerLink? = nil) {
        let packed = labelKey.packed
        labels = packed
        plainValues = !packed.contains { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\n") }
        self.shape = shape
        let upperBounds = shape.upperBounds
        let mirror = link.map {
            SeriesMirror(link: $0, payload: SeriesPayload(
                name: shape.familyName, help: help, type: type, labelNames: labelNames,
                labelValues: labelKey.values(count: labelNames.count), bounds: upperBounds).encoded)
        }
        extras = type == .histogram || mirror != nil
            ? SeriesExtras(bucketCount: type == .histogram ? upperBounds.count : 0, mirror: mirror) : nil
        self.type = type
        cell = ValueCell(hostWords: type == .counter ? 1 : type == .histogram ? 1 + upperBounds.count : 0,
                         constants: type == .histogram ? upperBounds : [])
    }

    /// A series with a shape of its own (tests, and callers outside a family).
    convenience init(familyName: String, type: MetricType, labelNames: [String], labelKey: LabelKey, upperBounds: [Double],
                     help: String = "", link: WorkerLink? = nil) {
        self.init(shape: SeriesShape(familyName: familyName, labelNames: labelNames, upperBounds: upperBounds),
                  type: type, labelNames: labelNames, labelKey: labelKey, help: help, link: link)
    }

    convenience init(familyName: String, type: MetricType, labelNames: [String], labelValues: [String],
                     upperBounds: [Double], help: String = "", link: WorkerLink? = nil) {
        self.init(familyName: familyName, type: type, labelNames: labelNames, labelKey: LabelKey(labelValues),
                  upperBounds: upperBounds, help: help, link: link)
    }

    /// Appends `name="value",...`, escaped, from the packed values and the family's label
    /// names: one pass. Values without a byte to escape (most) are copied whole.
    func appendLabelBlock(into block: inout [UInt8]) {
        let prefixes = shape.labelPrefixes
        guard !prefixes.isEmpty else { return }
        labels.withUnsafeBytes { raw in
            let key = raw.assumingMemoryBound(to: UInt8.self)
            if plainValues, prefixes.count == 1 {  // the common case: three copies
                block.append(contentsOf: prefixes[0])
                block.append(contentsOf: key)
                block.append(UInt8(ascii: "\""))
                return
            }
            var start = 0
            for prefix in prefixes {
                block.append(contentsOf: prefix)
                var end = start
                while end < key.count, key[end] != LabelKey.separator { end += 1 }
                let value = UnsafeBufferPointer(rebasing: key[start..<end])
                if plainValues {
                    block.append(contentsOf: value)
                } else {
                    for byte in value { SampleFormatter.escapeLabelByte(byte, into: &block) }
                }
                block.append(UInt8(ascii: "\""))
                start = end + 1
            }
        }
    }

    public var isDetached: Bool { detachedFlag.load(ordering: .relaxed) }
    func detach() { detachedFlag.store(true, ordering: .relaxed) }
    /// True once the family removed the series (a `remove`, a `clear`, the library's own
    /// container cleanup), as opposed to the overflow sink, which is detached from birth.
    /// The C ABI then treats its handle as stale, so a host re-creates the series.
    public var isRemoved: Bool { cell.isRemoved }
    /// Marks the series removed: its family dropped it, or the C ABI freed its family's handles.
    public func markRemoved() {
        cell.markRemoved()
        detach()
    }

    deinit { cell.free() }

    /// Where the value lives, for a host that stores a gauge's value itself.
    public var cellAddress: UnsafeMutableRawPointer { cell.address }
    /// How many words of the cell a host may see (`ValueCell`): 2 for a gauge, 3 for a
    /// counter, 3 + 2 x buckets for a histogram.
    public var cellWords: Int { cell.hostVisibleWords }
    /// The process-wide count of removals (`ValueCell.removals`).
    public static var removalsAddress: UnsafeMutableRawPointer { UnsafeMutableRawPointer(ValueCell.removals) }

    /// The counter or gauge value; for a histogram, its sample count.
    public var value: Double {
        if let merged = mirror?.merged.withLock({ $0 }) {
            switch merged {
            case .scalar(let value): return value
            case .histogram(let buckets, _): return Double(buckets.reduce(0, &+))
            case .workers(_, let latest): return latest
            }
        }
        switch type {
        case .histogram:
            var count = extras?.histogram.withLock { $0.count } ?? 0
            for i in 0..<upperBounds.count { count &+= cell.hostCount(1 + i) }
            return Double(count)
        case .counter: return cell.load() + cell.hostPart(0)
        case .gauge: return cell.load()
        }
    }

    public func set(_ newValue: Double) throws(MetricsError) {
        guard type == .gauge else { throw .wrongType(metric: familyName, type: type, operation: "set") }
        cell.store(newValue)
        link?.set(self, newValue)
    }

    public func inc(_ amount: Double = 1) throws(MetricsError) {
        switch type {
        case .counter:
            guard amount.isFinite, amount >= 0 else {
                throw .invalidValue(metric: familyName, reason: "a counter can only be increased by a finite, non-negative amount, got \(amount)")
            }
            add(amount)
        case .gauge:
            add(amount)
        case .histogram:
            throw .wrongType(metric: familyName, type: type, operation: "inc")
        }
    }

    public func dec(_ amount: Double = 1) throws(MetricsError) {
        guard type == .gauge else { throw .wrongType(metric: familyName, type: type, operation: "dec") }
        add(-amount)
    }

    public func observe(_ sample: Double) throws(MetricsError) {
        guard type == .histogram else { throw .wrongType(metric: familyName, type: type, operation: "observe") }
        guard record(sample) else {
            throw .invalidValue(metric: familyName, reason: "a histogram cannot observe NaN")
        }
    }

    /// Counts a histogram sample into its bucket; false (nothing recorded) for NaN.
    func record(_ sample: Double) -> Bool {
        guard !sample.isNaN else { return false }
        // Buckets are few (tens); a linear scan beats a binary search at this size.
        var index = upperBounds.count - 1
        for (i, bound) in upperBounds.enumerated() where sample <= bound {
            index = i
            break
        }
        extras?.histogram.withLock { $0.record(sample, bucket: index) }
        link?.observe(self, bucket: index, sample)
        return true
    }

    /// Stores a value without a type check: a gauge's set through a typed handle, or a
    /// counter the library read itself (process CPU seconds: the source is the kernel).
    func store(_ newValue: Double) {
        cell.store(newValue)
        link?.set(self, newValue)
    }

    /// The parent's merge of every process of a multiprocess run (nil: this process's own).
    func setMerged(_ value: MergedValue?) {
        mirror?.merged.withLock { $0 = value }
    }

    /// A `worker`-mode gauge's values in a multiprocess parent, one per live process (the
    /// exposition labels each with `worker`); nil for any other series.
    var workerReadings: [WorkerReading]? {
        guard case .workers(let readings, _)? = mirror?.merged.withLock({ $0 }) else { return nil }
        return readings
    }

    func reset() {
        cell.store(0)
        cell.resetHost()
        extras?.histogram.withLock { $0 = HistogramCounts(bucketCount: $0.buckets.count) }
    }

    /// The label values as UTF-8 separated by NUL: series sort by it, a byte comparison
    /// instead of a Unicode-aware String one. Made only while sorting, not kept per series.
    func sortKey() -> [UInt8] { labelKey.sortKey() }

    /// Cumulative bucket counts, sum and count, read together.
    public func histogramSnapshot() -> HistogramSnapshot {
        if case .histogram(let buckets, let sum)? = mirror?.merged.withLock({ $0 }) {
            var running: UInt64 = 0
            let cumulative = buckets.map { count -> UInt64 in
                running &+= count
                return running
            }
            return HistogramSnapshot(upperBounds: upperBounds, cumulativeCounts: cumulative, sum: sum, count: running)
        }
        // The library's counts under its lock, plus a host's shard (ValueCell): the count
        // is the buckets' total, so it always equals the +Inf bucket.
        guard let extras else {
            return HistogramSnapshot(upperBounds: upperBounds, cumulativeCounts: [], sum: 0, count: 0)
        }
        let (cumulative, sum, running) = extras.histogram.withLock { counts in
            var cumulative: [UInt64] = []
            cumulative.reserveCapacity(counts.buckets.count)
            var running: UInt64 = 0
            for (i, count) in counts.buckets.enumerated() {
                running &+= count &+ cell.hostCount(1 + i)
                cumulative.append(running)
            }
            return (cumulative, counts.sum, running)
        }
        return HistogramSnapshot(upperBounds: upperBounds, cumulativeCounts: cumulative, sum: sum + cell.hostPart(0),
                                 count: running)
    }

    func add(_ amount: Double) {
        cell.add(amount)
        link?.add(self, amount)
    }
}

/// What the parent of a multiprocess run shows for a series: the merge of every process.
enum MergedValue: Sendable, Equatable {
    case scalar(Double)
    /// Per-bucket (not cumulative) counts and the sum.
    case histogram(buckets: [UInt64], sum: Double)
    /// A `worker`-mode gauge: each live process's value; `latest` is what `value` reads
    /// (alerts, the JSON record), the value set last.
    case workers([WorkerReading], latest: Double)
}

/// One live process's value of a `worker`-mode gauge: `worker` is its slot, as text.
struct WorkerReading: Sendable, Equatable {
    let worker: String
    let value: Double
}

/// Per-bucket (not cumulative) counts: recording touches one slot only.
struct HistogramCounts {
    var buckets: [UInt64]
    var sum: Double = 0
    var count: UInt64 = 0

    init(bucketCount: Int) { buckets = Array(repeating: 0, count: bucketCount) }

    mutating func record(_ sample: Double, bucket: Int) {
        buckets[bucket] &+= 1
        sum += sample
        count &+= 1
    }
}

public struct HistogramSnapshot: Sendable, Equatable {
    public let upperBounds: [Double]
    public let cumulativeCounts: [UInt64]
    public let sum: Double
    public let count: UInt64
}
