/// What every series of a family has in common: its family's name, label names and
/// histogram bounds, kept once per family and referenced by each series.
///
/// Per series these were 40 bytes of the object (a String, an array reference, a count);
/// shared, they are one reference (issue #16: resident memory with 10,000 series).
///
/// Example:
///     let shape = SeriesShape(familyName: "jobs", labelNames: ["queue"], upperBounds: [])
///     let series = Series(shape: shape, type: .counter, labelNames: ["queue"],
///                         labelKey: LabelKey(["mail"]))
final class SeriesShape: Sendable {
    /// The family's name, for error messages.
    let familyName: String
    /// How many labels the family has (a key cannot tell one empty value from none).
    var labelCount: Int { labelPrefixes.count }
    /// `name="` for each label in order, the later ones after a comma: what a series'
    /// label block writes before each value.
    let labelPrefixes: [[UInt8]]
    /// Histogram bounds with `+Inf` last; empty for counters and gauges.
    let upperBounds: [Double]

    init(familyName: String, labelNames: [String], upperBounds: [Double]) {
        self.familyName = familyName
        labelPrefixes = labelNames.enumerated().map { index, name in
            (index > 0 ? [UInt8(ascii: ",")] : []) + Array(name.utf8) + [UInt8(ascii: "="), UInt8(ascii: "\"")]
        }
        self.upperBounds = upperBounds
    }
}
