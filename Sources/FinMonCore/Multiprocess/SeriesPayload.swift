/// What a multiprocess segment's entry says about its series, so the parent can find (or,
/// for a metric only a spawned worker defined, register) the series it stands for: the
/// family's name, help (cut to 160 characters: entries have a fixed size), type, label
/// names, the series' label values and the histogram's bounds, as compact JSON.
///
/// ```swift
/// let bytes = SeriesPayload(name: "jobs_total", help: "Jobs.", type: .counter,
///                           labelNames: ["kind"], labelValues: ["a"], bounds: []).encoded
/// SeriesPayload.decode(bytes)?.labelValues   // ["a"]
/// ```
struct SeriesPayload: Equatable {
    static let helpLimit = 160

    let name: String
    let help: String
    let type: MetricType
    let labelNames: [String]
    let labelValues: [String]
    let bounds: [Double]

    var encoded: [UInt8] {
        let value = JSONValue.orderedObject([
            ("n", .string(name)), ("h", .string(String(help.prefix(Self.helpLimit)))), ("t", .string(type.description)),
            ("l", .array(labelNames.map(JSONValue.string))), ("v", .array(labelValues.map(JSONValue.string))),
            // +Inf is implied (always the last bucket); JSON has no infinity.
            ("b", .array(bounds.filter(\.isFinite).map(JSONValue.number))),
        ])
        return Array(value.rendered.utf8)
    }

    static func decode(_ bytes: [UInt8]) -> SeriesPayload? {
        guard let value = try? JSONParser.parse(bytes),
              let name = value["n"]?.stringValue, let help = value["h"]?.stringValue,
              let type = value["t"]?.stringValue.flatMap({ t in [MetricType.counter, .gauge, .histogram].first { $0.description == t } }),
              let names = value["l"]?.arrayValue?.compactMap(\.stringValue),
              let values = value["v"]?.arrayValue?.compactMap(\.stringValue),
              let bounds = value["b"]?.arrayValue?.compactMap(\.doubleValue) else { return nil }
        return SeriesPayload(name: name, help: help, type: type, labelNames: names, labelValues: values,
                             bounds: type == .histogram ? bounds + [.infinity] : [])
    }
}
