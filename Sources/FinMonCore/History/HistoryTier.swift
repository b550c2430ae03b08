/// One resolution of `MetricsHistory`: a ring of sample times shared by every series, and
/// one ring of values per series aligned with it (a slot a series did not exist at is NaN).
///
/// Times are shared because every series is sampled at the same instants, so a point
/// costs 8 bytes per series plus 8 bytes per tier, whatever the number of series.
///
///     var tier = HistoryTier(stepSeconds: 5, capacity: 720)     // one hour at 5 s
///     tier.append(time: 1_700_000_000, values: [0.4, 12])
///     tier.points(after: 0).times                                 // [1_700_000_000]
struct HistoryTier: Sendable {
    /// Seconds between two points (for the coarse tiers: the width of the bucket a point
    /// stands for). The last tier doubles it whenever it is full (see `halve`).
    private(set) var stepSeconds: Double
    let capacity: Int
    let doublesWhenFull: Bool

    private(set) var times: [Double] = []
    /// `columns[series][slot]`, slots in the same order as `times`.
    private(set) var columns: [[Double]] = []
    /// Index of the oldest slot once the ring is full (0 until then).
    private var head = 0

    init(stepSeconds: Double, capacity: Int, doublesWhenFull: Bool = false) {
        self.stepSeconds = stepSeconds
        // Even, so halving merges every point with a neighbour.
        self.capacity = max(2, capacity + capacity % 2)
        self.doublesWhenFull = doublesWhenFull
    }

    var count: Int { times.count }

    /// Adds the column of a series first seen now: NaN for every slot before.
    /// `cumulative`: a counter, merged by its later value rather than the mean.
    mutating func addSeries(cumulative: Bool) {
        columns.append([Double](repeating: .nan, count: times.count))
        self.cumulative.append(cumulative)
    }

    /// Drops the columns at `indices` (sorted ascending), e.g. series gone from every tier.
    mutating func removeSeries(at indices: [Int]) {
        for index in indices.reversed() {
            columns.remove(at: index)
            cumulative.remove(at: index)
        }
    }

    /// Appends one point; `values` has one value per series (NaN: no value). When the
    /// ring is full it overwrites the oldest point, or, for the last tier, first merges
    /// pairs of points so the tier keeps covering the whole run at half the resolution.
    mutating func append(time: Double, values: [Double]) {
        if times.count == capacity, doublesWhenFull { halve() }
        if times.count < capacity {
            Self.reserve(&times, upTo: capacity)
            times.append(time)
            for index in columns.indices {
                Self.reserve(&columns[index], upTo: capacity)
                columns[index].append(index < values.count ? values[index] : .nan)
            }
        } else {
            times[head] = time
            for index in columns.indices { columns[index][head] = index < values.count ? values[index] : .nan }
            head = (head + 1) % capacity
        }
    }

    /// Before an append to a full array: doubles its storage, as Swift's arrays grow, but
    /// never past `capacity` (a 1,440-point tier would otherwise reserve 2,048, and a third
    /// of its memory would never be used).
    static func reserve(_ array: inout [Double], upTo capacity: Int) {
        guard array.count == array.capacity else { return }
        array.reserveCapacity(min(capacity, max(16, 2 * array.count)))
    }

    /// Merges neighbouring points (the mean of a pair's values, or its later value for a
    /// cumulative series) and doubles `stepSeconds`.
    private mutating func halve() {
        let order = slotOrder()
        var newTimes: [Double] = []
        newTimes.reserveCapacity(capacity)
        for pair in stride(from: 0, to: order.count - 1, by: 2) { newTimes.append(times[order[pair + 1]]) }
        for index in columns.indices {
            let column = columns[index]
            var merged: [Double] = []
            merged.reserveCapacity(capacity)
            for pair in stride(from: 0, to: order.count - 1, by: 2) {
                merged.append(Self.merge(column[order[pair]], column[order[pair + 1]], cumulative: cumulative[index]))
            }
            columns[index] = merged
        }
        times = newTimes
        head = 0
        stepSeconds *= 2
    }

    /// Whether series `index` is cumulative (a counter): merged by its later value.
    private(set) var cumulative: [Bool] = []

    static func merge(_ a: Double, _ b: Double, cumulative: Bool) -> Double {
        if cumulative { return b.isNaN ? a : b }
        if a.isNaN { return b }
        if b.isNaN { return a }
        return (a + b) / 2
    }

    /// Slot indices from oldest to newest.
    func slotOrder() -> [Int] {
        guard times.count == capacity, head != 0 else { return Array(times.indices) }
        return Array(head..<capacity) + Array(0..<head)
    }

    var oldestTime: Double? { times.isEmpty ? nil : times[times.count == capacity ? head : 0] }

    /// The points with a time in (`after`, `before`), oldest first: their times and, per
    /// series, their values.
    func points(after: Double, before: Double = .infinity) -> (times: [Double], columns: [[Double]]) {
        let slots = slotOrder().filter { times[$0] > after && times[$0] < before }
        return (slots.map { times[$0] }, columns.map { column in slots.map { column[$0] } })
    }

    /// Whether series `index` has no value in any slot (it can be forgotten).
    func isEmpty(series index: Int) -> Bool {
        columns[index].allSatisfy(\.isNaN)
    }

    /// Bytes the values and times take (the arrays' capacities), for the benchmark.
    var bytes: Int {
        8 * (times.capacity + columns.reduce(0) { $0 + $1.capacity })
    }
}
