/// The samples of one coarse point being gathered: per series the sum and count of its
/// values (a gauge's point is their mean) and the last one (a counter's point).
///
///     var bucket = HistoryBucket(start: 0)
///     bucket.add(time: 5, values: [1, 10], series: 2)
///     bucket.add(time: 10, values: [3, 12], series: 2)
///     bucket.point(cumulative: [false, true])   // [2, 12]
struct HistoryBucket: Sendable {
    /// Start of the bucket's interval (a multiple of the tier's step).
    var start: Double
    private(set) var lastTime: Double = .nan
    private var sums: [Double] = []
    private var counts: [Int32] = []
    private var lasts: [Double] = []

    init(start: Double) {
        self.start = start
    }

    var isEmpty: Bool { lastTime.isNaN }

    mutating func add(time: Double, values: [Double], series: Int) {
        if sums.count < series {
            let more = series - sums.count
            sums += [Double](repeating: 0, count: more)
            counts += [Int32](repeating: 0, count: more)
            lasts += [Double](repeating: .nan, count: more)
        }
        for index in 0..<series {
            let value = index < values.count ? values[index] : .nan
            guard !value.isNaN else { continue }
            sums[index] += value
            counts[index] += 1
            lasts[index] = value
        }
        lastTime = time
    }

    /// The point: per series the mean (gauges) or the last value (cumulative), NaN where
    /// the series had no sample in the bucket.
    func point(cumulative: [Bool]) -> [Double] {
        cumulative.indices.map { index in
            guard index < counts.count, counts[index] > 0 else { return .nan }
            return cumulative[index] ? lasts[index] : sums[index] / Double(counts[index])
        }
    }

    mutating func removeSeries(at indices: [Int]) {
        for index in indices.reversed() where index < sums.count {
            sums.remove(at: index)
            counts.remove(at: index)
            lasts.remove(at: index)
        }
    }

    var bytes: Int { 8 * sums.capacity + 4 * counts.capacity + 8 * lasts.capacity }
}
