/// Exposition text from another metrics library, served after finmon's own families on
/// `/metrics`: how finmon's exporter serves a prometheus_client registry without taking
/// the GIL (a Python thread renders that registry now and then and attaches the text; the
/// exporter thread only copies bytes).
///
/// Held by the `MetricsRegistry`, so it outlives exporter restarts; only the HTTP
/// exporter serves it (the final record and `finmon_collector_exposition` stay finmon's
/// own). Each text ends with a newline; the OpenMetrics one has no `# EOF` line (finmon
/// writes the one that ends the response).
///
/// ```swift
/// registry.attach(AttachedExposition(text: Array("# TYPE jobs counter\njobs_total 3\n".utf8),
///                                    openMetrics: Array("# TYPE jobs counter\njobs_total 3\n".utf8)))
/// ```
public struct AttachedExposition: Sendable, Equatable {
    /// For scrapes in the Prometheus text format 0.0.4.
    public let text: [UInt8]
    /// For scrapes in OpenMetrics 1.0.0.
    public let openMetrics: [UInt8]

    /// A missing final newline is added, so the next line starts on its own.
    public init(text: [UInt8], openMetrics: [UInt8]) {
        self.text = Self.terminated(text)
        self.openMetrics = Self.terminated(openMetrics)
    }

    public func bytes(for format: ExpositionFormat) -> [UInt8] {
        format == .openMetrics ? openMetrics : text
    }

    private static func terminated(_ bytes: [UInt8]) -> [UInt8] {
        guard let last = bytes.last, last != UInt8(ascii: "\n") else { return bytes }
        return bytes + [UInt8(ascii: "\n")]
    }
}
