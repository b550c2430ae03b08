/// A value an alert input cannot take (a negative percentage, a fractional count, NaN).
public struct AlertInputError: Error, Sendable, Equatable, CustomStringConvertible {
    public let input: AlertInput
    public let value: Double
    /// Completes "must be ...".
    public let expected: String

    public init(input: AlertInput, value: Double, expected: String) {
        self.input = input
        self.value = value
        self.expected = expected
    }

    public var description: String {
        "\(input.rawValue) must be \(expected), got \(value)"
    }
}
