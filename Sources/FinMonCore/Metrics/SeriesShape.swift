/// What every series of a family has in common: its family's name, label count and
/// histogram bounds, kept once per family and referenced by each series.
///
/// Per series these were 40 bytes of the object (a String, an array reference, a count);
/// shared, they are one reference (issue #16: resident memory with 10,000 series).
///
/// Example:
///     let shape = SeriesShape(familyName: "jobs", labelCount: 1, upperBounds: [])
///     let series = Series(shape: shape, type: .counter, labelNames: ["queue"],
///                         labelKey: LabelKey(["mail"]))
final class SeriesShape: Sendable {
    /// The family's name, for error messages.
    let familyName: String
    /// How many labels the family has (a key cannot tell one empty value from none).
    let labelCount: Int
    /// Histogram bounds with `+Inf` last; empty for counters and gauges.
    let upperBounds: [Double]

    init(familyName: String, labelCount: Int, upperBounds: [Double]) {
        self.familyName = familyName
        self.labelCount = labelCount
        self.upperBounds = upperBounds
    }
}
