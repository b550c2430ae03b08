/// Population diversity for loops that have no measure of their own, computed from one
/// numeric vector per strategy (its parameters) and the search space's bounds.
///
/// The formula, for N vectors x_1..x_N of L parameters, parameter d ranging over
/// `bounds[d] = lo_d...hi_d`:
///
///     y_id = clamp((x_id - lo_d) / (hi_d - lo_d), 0, 1)   if hi_d > lo_d,   else 0
///     diversity = min(1, sqrt( 4 / (N^2 * L) * sum_{i<j} sum_d (y_id - y_jd)^2 ))
///
/// i.e. the mean squared Euclidean distance over all N^2 ordered pairs (self-pairs included),
/// times 2/L, square-rooted. Why this shape:
/// - each parameter is scaled by its search-space range, never by the population's own
///   spread: a population that converged into 1% of the space scores about 0.01 whatever
///   the units, where scaling by its own min and max would stretch that 1% back to the
///   full width and score it as diverse. A value outside its bounds counts as at the
///   nearest bound, and a parameter with `lo == hi` contributes nothing;
/// - it is 0 when all vectors are identical (and for N = 1), and at most 1, reached exactly
///   when every parameter has half the population at each bound (N even). The bound: the
///   sum over pairs equals N * sum_i ||y_i - ybar||^2 and each parameter's population
///   variance of values in [0, 1] is at most 1/4 (Popoviciu), so the root argument is at
///   most 1; `min(1, ...)` only absorbs rounding;
/// - equivalently diversity = 2 * sqrt( (1/L) * sum_d var_d ), var_d the population variance
///   (divide by N) of y_.d, which is computable in O(N * L) instead of O(N^2 * L);
/// - it does not change when a parameter and its bounds are rescaled together (an affine
///   map of both leaves y unchanged), up to rounding.
///
/// Without bounds, `ranges(vectors:)` gives the per-parameter minimum and maximum of a
/// reference population (for example the first, random one, frozen for the run).
///
/// Accuracy: two passes (means, then squared deviations with the compensated-sum correction
/// term), each sum Neumaier-compensated; agrees with the O(N^2) pairwise form to ~1e-15 on
/// ordinary populations. If `hi_d - lo_d` overflows (bounds near +/-Double.greatestFiniteMagnitude)
/// that parameter is scaled by halves instead.
///
/// ```swift
/// let bounds = [try ParameterRange(lower: 0, upper: 100)]
/// try DiversityMath.compute(vectors: [[0], [100]], bounds: bounds)      // 1.0
/// try DiversityMath.compute(vectors: [[50], [50.5]], bounds: bounds)    // 0.005
/// ```
public enum DiversityMath {
    /// Diversity of `vectors` (one per strategy, all the same length) within `bounds` (one
    /// range per parameter). See the type's documentation for the formula.
    /// - Throws: `DiversityMathError` for an empty population, zero-length vectors, vectors of
    ///   different lengths, a NaN/infinite component (validated before N = 1 returns 0), or
    ///   bounds of the wrong count.
    public static func compute(vectors: [[Double]], bounds: [ParameterRange]) throws(DiversityMathError) -> Double {
        let cols = try validate(vectors: vectors)
        guard bounds.count == cols else { throw .boundsCount(expected: cols, actual: bounds.count) }
        return diversity(of: NestedRows(vectors: vectors, rows: vectors.count, cols: cols), scales: bounds.map(Scale.init))
    }

    /// Diversity of a row-major `rows x cols` matrix in one contiguous buffer, so the C ABI can
    /// pass caller memory (a NumPy array's data) without copying. Same formula and errors as
    /// `compute(vectors:bounds:)`, plus shape checks: `rows, cols >= 0`, `rows * cols` not
    /// overflowing and equal to `flat.count`.
    public static func compute(
        flat: UnsafeBufferPointer<Double>, rows: Int, cols: Int, bounds: [ParameterRange]
    ) throws(DiversityMathError) -> Double {
        try validate(flat: flat, rows: rows, cols: cols)
        guard bounds.count == cols else { throw .boundsCount(expected: cols, actual: bounds.count) }
        return diversity(of: FlatRows(buffer: flat, rows: rows, cols: cols), scales: bounds.map(Scale.init))
    }

    /// The minimum and maximum of each parameter over `vectors`: the bounds a loop without
    /// search-space bounds freezes from a reference population. Errors as `compute`.
    public static func ranges(vectors: [[Double]]) throws(DiversityMathError) -> [ParameterRange] {
        let cols = try validate(vectors: vectors)
        return ranges(of: NestedRows(vectors: vectors, rows: vectors.count, cols: cols))
    }

    /// `ranges(vectors:)` of a row-major buffer, with the shape checks of `compute(flat:...)`.
    public static func ranges(
        flat: UnsafeBufferPointer<Double>, rows: Int, cols: Int
    ) throws(DiversityMathError) -> [ParameterRange] {
        try validate(flat: flat, rows: rows, cols: cols)
        return ranges(of: FlatRows(buffer: flat, rows: rows, cols: cols))
    }

    /// Genotype diversity, for strategies whose parameters are not numbers (indicator names,
    /// rule kinds, encoded trees): the mean normalised Hamming distance over all pairs of
    /// distinct strategies, i.e. the fraction of positions at which two strategies differ,
    /// averaged over pairs. Per position d with value counts c_k:
    ///
    ///     differing pairs_d = (N^2 - sum_k c_k^2) / 2,   diversity = mean_d differing pairs_d / (N (N - 1) / 2)
    ///
    /// O(N * L) by counting instead of comparing pairs. 0 when all are equal (and for N = 1),
    /// 1 when every two strategies differ at every position.
    /// - Throws: `emptyPopulation`, `noDimensions` or `raggedVector`.
    public static func genotype<Gene: Hashable>(genotypes: [[Gene]]) throws(DiversityMathError) -> Double {
        guard let first = genotypes.first else { throw .emptyPopulation }
        guard !first.isEmpty else { throw .noDimensions }
        for (row, genes) in genotypes.enumerated() where genes.count != first.count {
            throw .raggedVector(index: row, expectedLength: first.count, actualLength: genes.count)
        }
        return genotype(rows: genotypes.count, cols: first.count) { genotypes[$0][$1] }
    }

    /// `genotype(genotypes:)` over a row-major `rows x cols` buffer of gene codes (equal codes,
    /// equal genes), with the shape checks of `compute(flat:...)`.
    public static func genotype(
        flat: UnsafeBufferPointer<UInt64>, rows: Int, cols: Int
    ) throws(DiversityMathError) -> Double {
        try checkShape(count: flat.count, rows: rows, cols: cols)
        return genotype(rows: rows, cols: cols) { flat[$0 &* cols &+ $1] }
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

    // MARK: - Validation

    /// The common length of `vectors`, after checking they are non-empty, rectangular, finite.
    private static func validate(vectors: [[Double]]) throws(DiversityMathError) -> Int {
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
        return cols
    }

    private static func validate(flat: UnsafeBufferPointer<Double>, rows: Int, cols: Int) throws(DiversityMathError) {
        try checkShape(count: flat.count, rows: rows, cols: cols)
        for (index, value) in flat.enumerated() where !value.isFinite {
            throw .nonFiniteValue(row: index / cols, column: index % cols, value: value)
        }
    }

    private static func checkShape(count: Int, rows: Int, cols: Int) throws(DiversityMathError) {
        guard rows >= 0, cols >= 0 else { throw .negativeShape(rows: rows, cols: cols) }
        guard rows > 0 else { throw .emptyPopulation }
        guard cols > 0 else { throw .noDimensions }
        let (product, overflow) = rows.multipliedReportingOverflow(by: cols)
        guard !overflow else { throw .shapeOverflow(rows: rows, cols: cols) }
        guard product == count else { throw .shapeMismatch(rows: rows, cols: cols, count: count) }
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

    /// Scaling of one parameter by its bounds. `halved` is set when `upper - lower` overflows;
    /// then numerator and denominator are computed on halved values, which cancel in the ratio.
    private struct Scale {
        let lo: Double
        let range: Double
        let halved: Bool

        init(_ bounds: ParameterRange) {
            let range = bounds.width
            if range.isFinite {
                lo = bounds.lower
                self.range = range
                halved = false
            } else {
                lo = bounds.lower * 0.5
                self.range = bounds.upper * 0.5 - bounds.lower * 0.5
                halved = true
            }
        }

        var isConstant: Bool { !(range > 0) }

        /// In [0, 1]: a value outside the bounds counts as at the nearest bound.
        func normalize(_ x: Double) -> Double {
            min(1, max(0, (halved ? x * 0.5 - lo : x - lo) / range))
        }
    }

    private static func ranges<Population: Rows>(of population: Population) -> [ParameterRange] {
        var lo = [Double](repeating: .infinity, count: population.cols)
        var hi = [Double](repeating: -.infinity, count: population.cols)
        for row in 0..<population.rows {
            for column in 0..<population.cols {
                let x = population.value(row, column)
                if x < lo[column] { lo[column] = x }
                if x > hi[column] { hi[column] = x }
            }
        }
        // Validated finite and non-empty, so lo <= hi and every init succeeds.
        return (0..<population.cols).compactMap { try? ParameterRange(lower: lo[$0], upper: hi[$0], column: $0) }
    }

    private static func diversity<Population: Rows>(of population: Population, scales: [Scale]) -> Double {
        let rows = population.rows
        let cols = population.cols
        guard rows > 1 else { return 0 }
        // Parameters the search never varies normalize to 0 for everyone and add nothing.
        let varying = (0..<cols).filter { !scales[$0].isConstant }
        guard !varying.isEmpty else { return 0 }

        // Pass 1: per-parameter mean of the normalized values.
        var sums = [CompensatedSum](repeating: CompensatedSum(), count: cols)
        for row in 0..<rows {
            for column in varying {
                sums[column].add(scales[column].normalize(population.value(row, column)))
            }
        }
        let n = Double(rows)
        let means = sums.map { $0.value / n }

        // Pass 2: squared deviations. The sum of plain deviations is 0 in exact arithmetic;
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

    private static func genotype<Gene: Hashable>(rows: Int, cols: Int, gene: (Int, Int) -> Gene) -> Double {
        guard rows > 1 else { return 0 }
        let n = Double(rows)
        var total = CompensatedSum()
        var counts: [Gene: Int] = [:]
        for column in 0..<cols {
            counts.removeAll(keepingCapacity: true)
            for row in 0..<rows { counts[gene(row, column), default: 0] += 1 }
            // Squares in Double: exact below 2^53, and never an overflow trap.
            let same = counts.values.reduce(0.0) { $0 + Double($1) * Double($1) }
            total.add((n * n - same) / (n * (n - 1)))
        }
        return min(1, max(0, total.value / Double(cols)))
    }
}
