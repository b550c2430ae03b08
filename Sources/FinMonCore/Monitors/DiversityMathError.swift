/// Why `DiversityMath` refused a population or its bounds.
public enum DiversityMathError: Error, Equatable, Sendable, CustomStringConvertible {
    case emptyPopulation
    case noDimensions
    case raggedVector(index: Int, expectedLength: Int, actualLength: Int)
    case nonFiniteValue(row: Int, column: Int, value: Double)
    case negativeShape(rows: Int, cols: Int)
    case shapeOverflow(rows: Int, cols: Int)
    case shapeMismatch(rows: Int, cols: Int, count: Int)
    /// One range per parameter is needed: `expected` parameters, `actual` ranges.
    case boundsCount(expected: Int, actual: Int)
    /// A range whose ends are not finite, or whose lower end is above its upper end.
    case invalidBounds(column: Int, lower: Double, upper: Double)

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
        case .boundsCount(let expected, let actual):
            return "bounds has \(actual) ranges, expected one per parameter (\(expected))"
        case .invalidBounds(let column, let lower, let upper):
            return "bounds of parameter \(column) are (\(lower), \(upper)); need finite lower <= upper"
        }
    }
}
