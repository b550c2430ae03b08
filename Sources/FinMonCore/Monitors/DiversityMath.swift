/// Why `DiversityMath` refused a population.
public enum DiversityMathError: Error, Equatable, Sendable, CustomStringConvertible {
    case emptyPopulation
    case noDimensions
    case raggedVector(index: Int, expectedLength: Int, actualLength: Int)
    case nonFiniteValue(row: Int, column: Int, value: Double)
    case negativeShape(rows: Int, cols: Int)
    case shapeOverflow(rows: Int, cols: Int)
    case shapeMismatch(rows: Int, cols: Int, count: Int)

    public var description: String {
        switch self {
        case .emptyPopulation:
            return "population is empty: diversity needs at least one vector"
        case .noDimensions:
            return "vectors have no components: diversity needs at least one dimension"
        case .raggedVector(let index, let expected, let actual):
            return "vector \(index) has \(actual) components, expected \(expected) like vector 0"
        case .nonFiniteValue(let row, let column, let value):
            return "vector \(row), component \(column) is \(value); values must be finite"
        case .negativeShape(let rows, let cols):
            return "rows and cols must be >= 0, got rows=\(rows), cols=\(cols)"
        case .shapeOverflow(let rows, let cols):
            return "rows * cols overflows (rows=\(rows), cols=\(cols))"
        case .shapeMismatch(let rows, let cols, let count):
            return "rows * cols = \(rows) * \(cols) does not match the buffer's \(count) values"
        }
    }
}

/// Population diversity for loops that have no measure of their own, computed from one
/// numeric vector per strategy (its parameters or features).
///
/// The formula, for N vectors x_1..x_N of L components each:
///
///     lo_d = min_i x_id,  hi_d = max_i x_id
///     y_id = (x_id - lo_d) / (hi_d - lo_d)   if hi_d > lo_d,   else 0
///     diversity = min(1, sqrt( 4 / (N^2 * L) * sum_{i<j} sum_d (y_id - y_jd)^2 ))
///
/// i.e. the mean squared Euclidean distance over all N^2 ordered pairs (self-pairs included),
/// times 2/L, square-rooted. Why this shape:
/// - per-dimension min-max scaling makes parameters with different units comparable, and a
///   constant parameter contributes nothing rather than dividing by zero;
/// - it is 0 when all vectors are identical (and for N = 1), and at most 1, reached exactly
///   when every dimension has half the population at its minimum and half at its maximum
///   (N even; e.g. two opposite corners). The bound: the sum over pairs equals
///   N * sum_i ||y_i - ybar||^2 and each dimension's population variance of values in [0, 1]
///   is at most 1/4 (Popoviciu), so the root argument is at most 1; `min(1, ...)` only
///   absorbs rounding;
/// - equivalently diversity = 2 * sqrt( (1/L) * sum_d var_d ), var_d the population variance
///   (divide by N) of y_.d, which is computable in O(N * L) instead of O(N^2 * L).
///
/// Accuracy: two passes after the min/max pass (means first, then squared deviations with the
/// compensated-sum correction term), each sum Neumaier-compensated; agrees with the O(N^2)
/// pairwise form to ~1e-15 on ordinary populations. If `hi_d - lo_d` overflows (values near
/// +/-Double.greatestFiniteMagnitude) that dimension is scaled by halves instead.
public enum DiversityMath {
    /// Diversity of `vectors` (one per strategy, all the same length). See the type's
    /// documentation for the formula.
    /// - Throws: `DiversityMathError` for an empty population, zero-length vectors, vectors of
    ///   different lengths, or a NaN/infinite component (validated before N = 1 returns 0).
    public static func compute(vectors: [[Double]]) throws(DiversityMathError) -> Double {
        guard let first = vectors.first else { throw .emptyPopulation }
        let cols = first.count
        guard cols > 0 else { throw .noDimensions }
        for (row, vector) in vectors.enumerated() {
            guard vector.count == cols else {
                throw .raggedVector(index: row, expectedLength: cols, actualLength: vector.count)
            }
            for (column, value) in vector.enumerated() where !value.isFinite {
                throw .nonFiniteValue(row: row, column: column, value: value)
            }
        }
        return diversity(of: NestedRows(vectors: vectors, rows: vectors.count, cols: cols))
    }

    /// Diversity of a row-major `rows x cols` matrix in one contiguous buffer, so the C ABI can
    /// pass caller memory (a NumPy array's data) without copying. Same formula and errors as
    /// `compute(vectors:)`, plus shape checks: `rows, cols >= 0`, `rows * cols` not
    /// overflowing and equal to `flat.count`.
    public static func compute(
        flat: UnsafeBufferPointer<Double>, rows: Int, cols: Int
    ) throws(DiversityMathError) -> Double {
        guard rows >= 0, cols >= 0 else { throw .negativeShape(rows: rows, cols: cols) }
        guard rows > 0 else { throw .emptyPopulation }
        guard cols > 0 else { throw .noDimensions }
        let (count, overflow) = rows.multipliedReportingOverflow(by: cols)
        guard !overflow else { throw .shapeOverflow(rows: rows, cols: cols) }
        guard count == flat.count else { throw .shapeMismatch(rows: rows, cols: cols, count: flat.count) }
        for (index, value) in flat.enumerated() where !value.isFinite {
            throw .nonFiniteValue(row: index / cols, column: index % cols, value: value)
        }
        return diversity(of: FlatRows(buffer: flat, rows: rows, cols: cols))
    }

    /// Distinct fingerprints over all fingerprints (1 = all different); 0 for an empty list,
    /// the same "no diversity to speak of" answer as a population of one.
    ///
    /// `String` equality is Unicode canonical equivalence (a precomposed "é" equals "e" plus a
    /// combining accent), unlike Python's code-point equality. Fingerprints are normally hex
    /// digests, where the two agree; pass `[UInt8]` values for byte-exact comparison.
    public static func uniqueFraction<Fingerprint: Hashable>(fingerprints: [Fingerprint]) -> Double {
        fingerprints.isEmpty ? 0 : Double(uniqueCount(fingerprints: fingerprints)) / Double(fingerprints.count)
    }

    /// The number of distinct fingerprints (the `uniqueCount` of `DiversityState.recordDiversity`).
    public static func uniqueCount<Fingerprint: Hashable>(fingerprints: [Fingerprint]) -> Int {
        Set(fingerprints).count
    }

    // MARK: - Core

    /// Read access to a validated (non-empty, rectangular, finite) population, so one generic
    /// core serves both the nested-array and the flat-buffer entry without copying either.
    private protocol Rows {
        var rows: Int { get }
        var cols: Int { get }
        func value(_ row: Int, _ column: Int) -> Double
    }

    private struct NestedRows: Rows {
        let vectors: [[Double]]
        let rows: Int
        let cols: Int
        func value(_ row: Int, _ column: Int) -> Double { vectors[row][column] }
    }

    private struct FlatRows: Rows {
        let buffer: UnsafeBufferPointer<Double>
        let rows: Int
        let cols: Int
        func value(_ row: Int, _ column: Int) -> Double { buffer[row &* cols &+ column] }
    }

    /// Neumaier's compensated sum: the rounding lost at each step is carried separately,
    /// so the result does not drift with N.
    private struct CompensatedSum {
        private var sum = 0.0
        private var compensation = 0.0

        mutating func add(_ value: Double) {
            let total = sum + value
            if abs(sum) >= abs(value) {
                compensation += (sum - total) + value
            } else {
                compensation += (value - total) + sum
            }
            sum = total
        }

        var value: Double { sum + compensation }
    }

    /// Min-max scaling of one dimension. `halved` is set when `hi - lo` overflows; then both
    /// numerator and denominator are computed on halved values, which cancel in the ratio.
    private struct Scale {
        let lo: Double
        let range: Double
        let halved: Bool

        init(lo: Double, hi: Double) {
            let range = hi - lo
            if range.isFinite {
                self.lo = lo
                self.range = range
                halved = false
            } else {
                self.lo = lo * 0.5
                self.range = hi * 0.5 - lo * 0.5
                halved = true
            }
        }

        var isConstant: Bool { !(range > 0) }

        func normalize(_ x: Double) -> Double {
            (halved ? x * 0.5 - lo : x - lo) / range
        }
    }

    private static func diversity<Population: Rows>(of population: Population) -> Double {
        let rows = population.rows
        let cols = population.cols
        guard rows > 1 else { return 0 }

        // Pass 1: per-dimension range.
        var lo = [Double](repeating: .infinity, count: cols)
        var hi = [Double](repeating: -.infinity, count: cols)
        for row in 0..<rows {
            for column in 0..<cols {
                let x = population.value(row, column)
                if x < lo[column] { lo[column] = x }
                if x > hi[column] { hi[column] = x }
            }
        }
        var scales: [Scale] = []
        scales.reserveCapacity(cols)
        for column in 0..<cols { scales.append(Scale(lo: lo[column], hi: hi[column])) }
        // Constant dimensions normalize to 0 for everyone and add nothing; skip them.
        let varying = (0..<cols).filter { !scales[$0].isConstant }
        guard !varying.isEmpty else { return 0 }

        // Pass 2: per-dimension mean of the normalized values.
        var sums = [CompensatedSum](repeating: CompensatedSum(), count: cols)
        for row in 0..<rows {
            for column in varying {
                sums[column].add(scales[column].normalize(population.value(row, column)))
            }
        }
        let n = Double(rows)
        let means = sums.map { $0.value / n }

        // Pass 3: squared deviations. The sum of plain deviations is 0 in exact arithmetic;
        // subtracting its square / N removes the error left in the mean (corrected two-pass).
        var squares = [CompensatedSum](repeating: CompensatedSum(), count: cols)
        var deviations = [CompensatedSum](repeating: CompensatedSum(), count: cols)
        for row in 0..<rows {
            for column in varying {
                let deviation = scales[column].normalize(population.value(row, column)) - means[column]
                squares[column].add(deviation * deviation)
                deviations[column].add(deviation)
            }
        }
        var total = CompensatedSum()
        for column in varying {
            let drift = deviations[column].value
            total.add(max(0, squares[column].value - drift * drift / n))
        }

        // sum_i ||y_i - ybar||^2 = (1/N) sum_{i<j} ||y_i - y_j||^2, hence the 4 / (N * L).
        let meanSquare = 4 * total.value / (n * Double(cols))
        return min(1, max(0, meanSquare.squareRoot()))
    }
}
