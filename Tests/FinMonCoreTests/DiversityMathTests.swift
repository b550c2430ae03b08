import Testing
@testable import FinMonCore

/// The documented formula written the slow, obvious way: normalize, then sum over all i < j.
private func bruteForceDiversity(_ vectors: [[Double]]) -> Double {
    let n = vectors.count
    let l = vectors[0].count
    var normalized = vectors
    for d in 0..<l {
        let column = vectors.map { $0[d] }
        let lo = column.min() ?? 0
        let hi = column.max() ?? 0
        for i in 0..<n {
            normalized[i][d] = hi > lo ? (vectors[i][d] - lo) / (hi - lo) : 0
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

private func flatDiversity(_ values: [Double], rows: Int, cols: Int) throws(DiversityMathError) -> Double {
    try values.withUnsafeBufferPointer { buffer throws(DiversityMathError) in
        try DiversityMath.compute(flat: buffer, rows: rows, cols: cols)
    }
}

@Test func diversityMatchesTheBruteForceFormulaOnRandomPopulations() throws {
    var rng = SplitMix64(seed: 0x5EED_F1A0)
    for _ in 0..<200 {
        let population = randomPopulation(using: &rng)
        let fast = try DiversityMath.compute(vectors: population)
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
    let fast = try DiversityMath.compute(vectors: population)
    #expect(abs(fast - bruteForceDiversity(population)) <= 1e-9)
}

@Test func identicalVectorsHaveZeroDiversity() throws {
    let vector = [0.3, -7, 1e6, 0]
    #expect(try DiversityMath.compute(vectors: Array(repeating: vector, count: 25)) == 0)
    #expect(try DiversityMath.compute(vectors: [vector]) == 0)
    #expect(try flatDiversity(vector + vector, rows: 2, cols: 4) == 0)
}

@Test func twoOppositePointsHaveDiversityOne() throws {
    #expect(try DiversityMath.compute(vectors: [[0, 0, 0], [1, 1, 1]]) == 1)
    #expect(try DiversityMath.compute(vectors: [[-5, 10, 0.25], [5, -10, 0.5]]) == 1)
    #expect(try DiversityMath.compute(vectors: [[3], [4]]) == 1)
}

@Test func halfAtTheMinimumAndHalfAtTheMaximumIsOne() throws {
    let low = [0.0, 0, 0, 0]
    let high = [1.0, 1, 1, 1]
    let population = Array(repeating: low, count: 3) + Array(repeating: high, count: 3)
    #expect(abs(try DiversityMath.compute(vectors: population) - 1) <= 1e-15)
}

@Test func anUnevenSplitIsBelowOne() throws {
    // One dimension, values {0, 0, 1}: population variance 2/9, so 2 * sqrt(2/9).
    let expected = 2 * (2.0 / 9).squareRoot()
    #expect(abs(try DiversityMath.compute(vectors: [[0], [0], [1]]) - expected) <= 1e-15)
}

@Test func aConstantDimensionDilutesButDoesNotBreak() throws {
    // One extreme dimension and one constant one: sqrt(1/2).
    let diversity = try DiversityMath.compute(vectors: [[0, 7], [1, 7]])
    #expect(abs(diversity - 0.5.squareRoot()) <= 1e-15)
}

@Test func valuesAtTheEdgeOfDoubleDoNotOverflow() throws {
    let huge = Double.greatestFiniteMagnitude
    #expect(try DiversityMath.compute(vectors: [[-huge], [huge]]) == 1)
    #expect(abs(try DiversityMath.compute(vectors: [[-huge], [huge], [-huge], [huge]]) - 1) <= 1e-15)
    // Normalized to [0, 0.5, 1]: population variance 1/6.
    let midpoint = try DiversityMath.compute(vectors: [[-huge], [0], [huge]])
    #expect(abs(midpoint - 2 * (1.0 / 6).squareRoot()) <= 1e-15)
}

@Test func computeRejectsAnEmptyPopulation() {
    #expect(throws: DiversityMathError.emptyPopulation) { try DiversityMath.compute(vectors: []) }
}

@Test func computeRejectsVectorsWithoutComponents() {
    #expect(throws: DiversityMathError.noDimensions) { try DiversityMath.compute(vectors: [[], []]) }
}

@Test func computeRejectsRaggedVectors() {
    #expect(throws: DiversityMathError.raggedVector(index: 2, expectedLength: 2, actualLength: 3)) {
        try DiversityMath.compute(vectors: [[1, 2], [3, 4], [5, 6, 7]])
    }
    #expect(throws: DiversityMathError.raggedVector(index: 1, expectedLength: 2, actualLength: 0)) {
        try DiversityMath.compute(vectors: [[1, 2], []])
    }
}

@Test(arguments: [Double.nan, .infinity, -.infinity])
func computeRejectsNonFiniteValues(bad: Double) {
    for population in [[[1, 2], [3, bad]], [[bad]]] {
        let error = #expect(throws: DiversityMathError.self) { try DiversityMath.compute(vectors: population) }
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
        try DiversityMath.compute(flat: UnsafeBufferPointer(start: nil, count: 0), rows: 0, cols: 0)
    }
    #expect(throws: DiversityMathError.shapeMismatch(rows: 1, cols: 1, count: 0)) {
        try DiversityMath.compute(flat: UnsafeBufferPointer(start: nil, count: 0), rows: 1, cols: 1)
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
