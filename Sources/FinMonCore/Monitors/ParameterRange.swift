/// The search-space bounds of one strategy parameter, `lower...upper`: what
/// `DiversityMath` scales that parameter by.
///
/// Checked on creation (finite, `lower <= upper`), so a range that reaches the
/// arithmetic is always valid; `lower == upper` is a parameter the search never varies.
///
/// ```swift
/// let fast = try ParameterRange(lower: 2, upper: 50)
/// fast.width   // 48.0
/// ```
public struct ParameterRange: Sendable, Equatable, CustomStringConvertible {
    public let lower: Double
    public let upper: Double

    /// - Throws: `DiversityMathError.invalidBounds` (with `column`) for a non-finite end or
    ///   `lower > upper`.
    public init(lower: Double, upper: Double, column: Int = 0) throws(DiversityMathError) {
        guard lower.isFinite, upper.isFinite, lower <= upper else {
            throw .invalidBounds(column: column, lower: lower, upper: upper)
        }
        self.lower = lower
        self.upper = upper
    }

    /// `upper - lower`; infinite when the difference overflows (scaling handles that).
    public var width: Double { upper - lower }

    public var description: String { "\(lower)...\(upper)" }
}
