import Testing
@testable import FinMonCore

/// The documented formula written the slow, obvious way: normalize by the bounds (the
/// population's own min and max when none are given), then sum over all i < j.
private func bruteForceDiversity(_ vectors: [[Double]], bounds: [(Double, Double)]? = nil) -> Double {
    let n = vectors.count
    let l = vectors[0].count
    var normalized = vectors
    for d in 0..<l {
        let column = vectors.map { $0[d] }
        let (lo, hi) = bounds?[d] ?? (column.min() ?? 0, column.max() ?? 0)
        for i in 0..<n {
            normalized[i][d] = hi > lo ? min(1, max(0, (vectors[i][d] - lo) / (hi - lo))) : 0
        }
    }
    var pairSum = 0.0
    for i in 0..<n {
        for j in (i + 1)..<n {
            for d in 0..<l {
                let delta = normalized[i][d] - normalized[j][d]
                pairSum += delta * delta
            }
        }
    }
    return min(1, (4 * pairSum / (Double(n) * Double(n) * Double(l))).squareRoot())
}

/// Dimensions of different characters: plain, offset far from zero, tiny, constant, few levels.
private func randomPopulation(using rng: inout SplitMix64) -> [[Double]] {
    let n = Int.random(in: 1...60, using: &rng)
    let l = Int.random(in: 1...12, using: &rng)
    let kinds = (0..<l).map { _ in Int.random(in: 0..<5, using: &rng) }
    let constants = (0..<l).map { _ in Double.random(in: -100...100, using: &rng) }
    return (0..<n).map { _ in
        (0..<l).map { d in
            switch kinds[d] {
            case 0: return Double.random(in: -1...1, using: &rng)
            case 1: return 1e6 + Double.random(in: 0...10, using: &rng)
            case 2: return Double.random(in: 0...1e-8, using: &rng)
            case 3: return constants[d]
            default: return Double(Int.random(in: 0...3, using: &rng))
            }
        }
    }
}

/// Diversity scaled by the population's own ranges: the formula these fixtures were written for.
private func ownRangeDiversity(_ vectors: [[Double]]) throws(DiversityMathError) -> Double {
    try DiversityMath.compute(vectors: vectors, bounds: try DiversityMath.ranges(vectors: vectors))
}

private func flatDiversity(_ values: [Double], rows: Int, cols: Int) throws(DiversityMathError) -> Double {
    try values.withUnsafeBufferPointer { buffer throws(DiversityMathError) in
        let bounds = try DiversityMath.ranges(flat: buffer, rows: rows, cols: cols)
        return try DiversityMath.compute(flat: buffer, rows: rows, cols: cols, bounds: bounds)
    }
}

@Test func diversityMatchesTheBruteForceFormulaOnRandomPopulations() throws {
    var rng = SplitMix64(seed: 0x5EED_F1A0)
    for _ in 0..<200 {
        let population = randomPopulation(using: &rng)
        let fast = try ownRangeDiversity(population)
        let slow = bruteForceDiversity(population)
        #expect(abs(fast - slow) <= 1e-9, "N=\(population.count) L=\(population[0].count): \(fast) vs \(slow)")
        #expect(fast >= 0 && fast <= 1)
        let flat = try flatDiversity(population.flatMap { $0 }, rows: population.count, cols: population[0].count)
        #expect(flat == fast)
    }
}

@Test func diversityOfABigPopulationStaysAccurate() throws {
    var rng = SplitMix64(seed: 42)
    let population = (0..<400).map { _ in (0..<8).map { _ in 1e9 + Double.random(in: 0...1, using: &rng) } }
    let fast = try ownRangeDiversity(population)
    #expect(abs(fast - bruteForceDiversity(population)) <= 1e-9)
}

@Test func identicalVectorsHaveZeroDiversity() throws {
    let vector = [0.3, -7, 1e6, 0]
    #expect(try ownRangeDiversity(Array(repeating: vector, count: 25)) == 0)
    #expect(try ownRangeDiversity([vector]) == 0)
    #expect(try flatDiversity(vector + vector, rows: 2, cols: 4) == 0)
}

@Test func twoOppositePointsHaveDiversityOne() throws {
    #expect(try ownRangeDiversity([[0, 0, 0], [1, 1, 1]]) == 1)
    #expect(try ownRangeDiversity([[-5, 10, 0.25], [5, -10, 0.5]]) == 1)
    #expect(try ownRangeDiversity([[3], [4]]) == 1)
}

@Test func halfAtTheMinimumAndHalfAtTheMaximumIsOne() throws {
    let low = [0.0, 0, 0, 0]
    let high = [1.0, 1, 1, 1]
    let population = Array(repeating: low, count: 3) + Array(repeating: high, count: 3)
    #expect(abs(try ownRangeDiversity(population) - 1) <= 1e-15)
}

@Test func anUnevenSplitIsBelowOne() throws {
    // One dimension, values {0, 0, 1}: population variance 2/9, so 2 * sqrt(2/9).
    let expected = 2 * (2.0 / 9).squareRoot()
    #expect(abs(try ownRangeDiversity([[0], [0], [1]]) - expected) <= 1e-15)
}

@Test func aConstantDimensionDilutesButDoesNotBreak() throws {
    // One extreme dimension and one constant one: sqrt(1/2).
    let diversity = try ownRangeDiversity([[0, 7], [1, 7]])
    #expect(abs(diversity - 0.5.squareRoot()) <= 1e-15)
}

@Test func valuesAtTheEdgeOfDoubleDoNotOverflow() throws {
    let huge = Double.greatestFiniteMagnitude
    #expect(try ownRangeDiversity([[-huge], [huge]]) == 1)
    #expect(abs(try ownRangeDiversity([[-huge], [huge], [-huge], [huge]]) - 1) <= 1e-15)
    // Normalized to [0, 0.5, 1]: population variance 1/6.
    let midpoint = try ownRangeDiversity([[-huge], [0], [huge]])
    #expect(abs(midpoint - 2 * (1.0 / 6).squareRoot()) <= 1e-15)
}

@Test func computeRejectsAnEmptyPopulation() {
    #expect(throws: DiversityMathError.emptyPopulation) { try ownRangeDiversity([]) }
}

@Test func computeRejectsVectorsWithoutComponents() {
    #expect(throws: DiversityMathError.noDimensions) { try ownRangeDiversity([[], []]) }
}

@Test func computeRejectsRaggedVectors() {
    #expect(throws: DiversityMathError.raggedVector(index: 2, expectedLength: 2, actualLength: 3)) {
        try ownRangeDiversity([[1, 2], [3, 4], [5, 6, 7]])
    }
    #expect(throws: DiversityMathError.raggedVector(index: 1, expectedLength: 2, actualLength: 0)) {
        try ownRangeDiversity([[1, 2], []])
    }
}

@Test(arguments: [Double.nan, .infinity, -.infinity])
func computeRejectsNonFiniteValues(bad: Double) {
    for population in [[[1, 2], [3, bad]], [[bad]]] {
        let error = #expect(throws: DiversityMathError.self) { try ownRangeDiversity(population) }
        guard case .nonFiniteValue(let row, let column, _) = error else {
            Issue.record("unexpected error \(String(describing: error))")
            continue
        }
        #expect(row == population.count - 1)
        #expect(column == population[row].count - 1)
    }
    let flatError = #expect(throws: DiversityMathError.self) { try flatDiversity([1, 2, 3, 4, bad, 6], rows: 3, cols: 2) }
    guard case .nonFiniteValue(2, 0, _) = flatError else {
        Issue.record("unexpected error \(String(describing: flatError))")
        return
    }
}

@Test func computeFlatChecksTheShape() {
    let values: [Double] = [1, 2, 3, 4, 5, 6]
    #expect(throws: DiversityMathError.negativeShape(rows: -1, cols: 6)) { try flatDiversity(values, rows: -1, cols: 6) }
    #expect(throws: DiversityMathError.negativeShape(rows: 6, cols: -1)) { try flatDiversity(values, rows: 6, cols: -1) }
    #expect(throws: DiversityMathError.emptyPopulation) { try flatDiversity([], rows: 0, cols: 3) }
    #expect(throws: DiversityMathError.noDimensions) { try flatDiversity([], rows: 3, cols: 0) }
    #expect(throws: DiversityMathError.shapeOverflow(rows: .max, cols: 2)) { try flatDiversity(values, rows: .max, cols: 2) }
    #expect(throws: DiversityMathError.shapeOverflow(rows: 1 << 32, cols: 1 << 32)) {
        try flatDiversity(values, rows: 1 << 32, cols: 1 << 32)
    }
    #expect(throws: DiversityMathError.shapeMismatch(rows: 2, cols: 2, count: 6)) { try flatDiversity(values, rows: 2, cols: 2) }
    #expect(throws: DiversityMathError.shapeMismatch(rows: 4, cols: 2, count: 6)) { try flatDiversity(values, rows: 4, cols: 2) }
}

@Test func computeFlatReadsRowMajor() throws {
    // Rows (0, 5) and (1, 5): only the first column varies -> sqrt(1/2). Read column-major,
    // the same buffer would be rows (0, 1) and (5, 5) -> a different value.
    let diversity = try flatDiversity([0, 5, 1, 5], rows: 2, cols: 2)
    #expect(abs(diversity - 0.5.squareRoot()) <= 1e-15)
}

@Test func computeFlatAcceptsAnEmptyBufferOnlyWhenTheShapeIsEmpty() {
    #expect(throws: DiversityMathError.emptyPopulation) {
        try DiversityMath.compute(flat: UnsafeBufferPointer(start: nil, count: 0), rows: 0, cols: 0, bounds: [])
    }
    #expect(throws: DiversityMathError.shapeMismatch(rows: 1, cols: 1, count: 0)) {
        try DiversityMath.ranges(flat: UnsafeBufferPointer(start: nil, count: 0), rows: 1, cols: 1)
    }
}

@Test func uniqueFractionIsDistinctOverTotal() {
    #expect(DiversityMath.uniqueFraction(fingerprints: ["a", "b", "a", "c"]) == 0.75)
    #expect(DiversityMath.uniqueFraction(fingerprints: ["x", "x", "x"]) == 1.0 / 3)
    #expect(DiversityMath.uniqueFraction(fingerprints: ["only"]) == 1)
    #expect(DiversityMath.uniqueFraction(fingerprints: [String]()) == 0)
    #expect(DiversityMath.uniqueCount(fingerprints: ["a", "b", "a", "c"]) == 3)
    #expect(DiversityMath.uniqueCount(fingerprints: [String]()) == 0)
}

@Test func uniqueFractionOnBytesIsByteExact() {
    let precomposed = Array("\u{E9}".utf8)
    let decomposed = Array("e\u{301}".utf8)
    #expect(DiversityMath.uniqueFraction(fingerprints: [precomposed, decomposed]) == 1)
    #expect(DiversityMath.uniqueFraction(fingerprints: ["\u{E9}", "e\u{301}"]) == 0.5)
    #expect(DiversityMath.uniqueFraction(fingerprints: [[UInt8]([1, 2]), [1, 2], [2, 1], []]) == 0.75)
}

// MARK: - Search-space bounds

private func ranges(_ pairs: [(Double, Double)]) throws(DiversityMathError) -> [ParameterRange] {
    var result: [ParameterRange] = []
    for (column, pair) in pairs.enumerated() {
        result.append(try ParameterRange(lower: pair.0, upper: pair.1, column: column))
    }
    return result
}

@Test func diversityWithBoundsMatchesTheBruteForceFormula() throws {
    var rng = SplitMix64(seed: 0xB0_0D5)
    for _ in 0..<200 {
        let population = randomPopulation(using: &rng)
        // Bounds around each column, sometimes narrower than the values (clamped) or degenerate.
        let pairs: [(Double, Double)] = (0..<population[0].count).map { d in
            let column = population.map { $0[d] }
            let lo = column.min()!, hi = column.max()!
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: return (lo - 1, hi + 1)
            case 1: return (lo + (hi - lo) / 4, hi - (hi - lo) / 4)
            case 2: return (lo, lo)
            default: return (lo - 10 * (hi - lo), hi)
            }
        }
        let fast = try DiversityMath.compute(vectors: population, bounds: try ranges(pairs))
        let slow = bruteForceDiversity(population, bounds: pairs)
        #expect(abs(fast - slow) <= 1e-9, "N=\(population.count): \(fast) vs \(slow)")
        #expect(fast >= 0 && fast <= 1)
    }
}

@Test func aPopulationConvergedWithinOnePercentScoresAtMostFivePercent() throws {
    var rng = SplitMix64(seed: 7)
    let pairs: [(Double, Double)] = [(2, 50), (10, 200), (0, 0.05), (0.02, 0.3)]
    let bounds = try ranges(pairs)
    let centre = pairs.map { lo, hi in lo + Double.random(in: 0.2...0.8, using: &rng) * (hi - lo) }
    let converged = (0..<20).map { _ in
        zip(centre, pairs).map { c, pair in c + Double.random(in: -0.01...0.01, using: &rng) * (pair.1 - pair.0) }
    }
    let spread = (0..<20).map { _ in pairs.map { lo, hi in Double.random(in: lo...hi, using: &rng) } }
    let convergedScore = try DiversityMath.compute(vectors: converged, bounds: bounds)
    #expect(convergedScore <= 0.05)
    #expect(try DiversityMath.compute(vectors: spread, bounds: bounds) > 0.4)
    // Scaled by its own spread, the same converged population would look diverse.
    #expect(try ownRangeDiversity(converged) > 0.4)
}

@Test func rescalingParametersWithTheirBoundsLeavesTheScoreUnchanged() throws {
    var rng = SplitMix64(seed: 99)
    let pairs: [(Double, Double)] = [(0, 1), (-5, 5), (100, 300)]
    let population = (0..<30).map { _ in pairs.map { lo, hi in Double.random(in: lo...hi, using: &rng) } }
    let base = try DiversityMath.compute(vectors: population, bounds: try ranges(pairs))
    // Powers of two: exact in binary floating point, so exactly the same score.
    let scales = [4.0, 0.125, 1024]
    let doubled = population.map { zip($0, scales).map { $0 * $1 } }
    let doubledPairs = zip(pairs, scales).map { ($0.0 * $1, $0.1 * $1) }
    #expect(try DiversityMath.compute(vectors: doubled, bounds: try ranges(doubledPairs)) == base)
    // Any affine map (scale and shift): the same up to rounding.
    let maps: [(Double, Double)] = [(3.7, -12), (1e-3, 0.25), (250, 1e5)]
    let moved = population.map { zip($0, maps).map { x, map in x * map.0 + map.1 } }
    let movedPairs = zip(pairs, maps).map { pair, map in (pair.0 * map.0 + map.1, pair.1 * map.0 + map.1) }
    #expect(abs(try DiversityMath.compute(vectors: moved, bounds: try ranges(movedPairs)) - base) <= 1e-12)
}

@Test func valuesOutsideTheBoundsCountAsAtTheNearestBound() throws {
    let bounds = try ranges([(0, 1)])
    #expect(try DiversityMath.compute(vectors: [[-3], [7]], bounds: bounds) == 1)
    #expect(try DiversityMath.compute(vectors: [[-3], [0]], bounds: bounds) == 0)
    // A parameter the search never varies adds nothing but still counts in L.
    let withFixed = try DiversityMath.compute(vectors: [[0, 4], [1, 4]], bounds: try ranges([(0, 1), (4, 4)]))
    #expect(abs(withFixed - 0.5.squareRoot()) <= 1e-15)
}

@Test func badBoundsAreRefused() throws {
    #expect(throws: DiversityMathError.boundsCount(expected: 2, actual: 1)) {
        try DiversityMath.compute(vectors: [[1, 2]], bounds: try ranges([(0, 1)]))
    }
    #expect(throws: DiversityMathError.invalidBounds(column: 1, lower: 2, upper: 1)) { try ranges([(0, 1), (2, 1)]) }
    #expect(throws: DiversityMathError.self) { try ParameterRange(lower: .nan, upper: 1) }
    #expect(throws: DiversityMathError.self) { try ParameterRange(lower: 0, upper: .infinity) }
    #expect(try ParameterRange(lower: -.greatestFiniteMagnitude, upper: .greatestFiniteMagnitude).width == .infinity)
    let message = DiversityMathError.invalidBounds(column: 3, lower: 2, upper: 1).description
    #expect(message.contains("parameter 3") && message.contains("lower <= upper"))
}

@Test func rangesAreTheMinimumAndMaximumOfEachParameter() throws {
    let found = try DiversityMath.ranges(vectors: [[1, 5, 0], [3, 4, 0], [2, 6, 0]])
    #expect(found == (try ranges([(1, 3), (4, 6), (0, 0)])))
}

// MARK: - Genotypes

/// Mean normalised Hamming distance over pairs i < j, the obvious way.
private func bruteForceGenotype(_ genotypes: [[Int]]) -> Double {
    let n = genotypes.count
    guard n > 1 else { return 0 }
    var total = 0.0
    for i in 0..<n {
        for j in (i + 1)..<n {
            let differing = zip(genotypes[i], genotypes[j]).filter { $0 != $1 }.count
            total += Double(differing) / Double(genotypes[i].count)
        }
    }
    return total / Double(n * (n - 1) / 2)
}

@Test func genotypeDiversityMatchesPairwiseHamming() throws {
    var rng = SplitMix64(seed: 0x6E07)
    for _ in 0..<100 {
        let n = Int.random(in: 1...40, using: &rng)
        let l = Int.random(in: 1...8, using: &rng)
        let alphabet = Int.random(in: 1...5, using: &rng)
        let genotypes = (0..<n).map { _ in (0..<l).map { _ in Int.random(in: 0..<alphabet, using: &rng) } }
        let fast = try DiversityMath.genotype(genotypes: genotypes)
        #expect(abs(fast - bruteForceGenotype(genotypes)) <= 1e-12)
        let codes = genotypes.flatMap { $0.map { UInt64($0) } }
        let flat = try codes.withUnsafeBufferPointer { buffer throws(DiversityMathError) in
            try DiversityMath.genotype(flat: buffer, rows: n, cols: l)
        }
        #expect(flat == fast)
    }
}

@Test func genotypeKnownValuesAndErrors() throws {
    #expect(try DiversityMath.genotype(genotypes: [["rsi", "long"], ["rsi", "long"]]) == 0)
    #expect(try DiversityMath.genotype(genotypes: [["rsi", "long"], ["macd", "short"]]) == 1)
    #expect(try DiversityMath.genotype(genotypes: [["rsi"]]) == 0)
    #expect(throws: DiversityMathError.emptyPopulation) { try DiversityMath.genotype(genotypes: [[String]]()) }
    #expect(throws: DiversityMathError.noDimensions) { try DiversityMath.genotype(genotypes: [[String](), []]) }
    #expect(throws: DiversityMathError.raggedVector(index: 1, expectedLength: 2, actualLength: 1)) {
        try DiversityMath.genotype(genotypes: [["a", "b"], ["a"]])
    }
    #expect(throws: DiversityMathError.shapeMismatch(rows: 2, cols: 2, count: 3)) {
        try [UInt64](repeating: 0, count: 3).withUnsafeBufferPointer { buffer throws(DiversityMathError) in
            try DiversityMath.genotype(flat: buffer, rows: 2, cols: 2)
        }
    }
}
