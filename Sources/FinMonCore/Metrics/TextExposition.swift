/// Renders a registry in the Prometheus text format 0.0.4 or OpenMetrics 1.0.0.
public enum TextExposition {
    /// `collectFirst: false` when the caller already ran the registry's collectors for a
    /// snapshot that must agree with other output made from the same collection;
    /// `includeAttached: true` (the HTTP exporter) appends the registry's attached text.
    public static func render(
        _ registry: MetricsRegistry, format: ExpositionFormat, collectFirst: Bool = true, includeAttached: Bool = false
    ) -> [UInt8] {
        if collectFirst { registry.collect() }
        var out: [UInt8] = []
        out.reserveCapacity(4096)
        for family in registry.sortedFamilies() {
            render(family, format: format, into: &out)
        }
        if includeAttached, let attached = registry.attachedExposition {
            out.append(contentsOf: attached.bytes(for: format))
        }
        if format == .openMetrics { append("# EOF\n", to: &out) }
        return out
    }

    public static func renderString(_ registry: MetricsRegistry, format: ExpositionFormat) -> String {
        String(decoding: render(registry, format: format), as: UTF8.self)
    }

    static func render(_ family: MetricFamily, format: ExpositionFormat, into out: inout [UInt8]) {
        let series = family.sortedSeries()
        // A counter's sample always ends in `_total`, as prometheus_client writes it, so a
        // query finds it whichever format Prometheus negotiated; OpenMetrics names the
        // family without the suffix, the text format with it.
        let sampleName = family.sampleName
        let familyName = format == .openMetrics && family.type == .counter
            ? String(sampleName.dropLast(MetricFamily.counterSuffix.count)) : sampleName
        append("# HELP ", to: &out)
        append(familyName, to: &out)
        out.append(UInt8(ascii: " "))
        SampleFormatter.escapeHelp(family.help, escapeQuote: format == .openMetrics, into: &out)
        append("\n# TYPE ", to: &out)
        append(familyName, to: &out)
        out.append(UInt8(ascii: " "))
        append(family.type.description, to: &out)
        out.append(UInt8(ascii: "\n"))
        // A series keeps only its packed values: its label block is made here, once per
        // series and scrape (see Series.appendLabelBlock): straight into the output for a
        // counter's or gauge's one line, into one reused buffer for a series of many lines.
        var block: [UInt8] = []
        for one in series {
            if family.type != .histogram, !family.labelNames.isEmpty, one.workerReadings == nil {
                append(sampleName, to: &out)
                out.append(UInt8(ascii: "{"))
                one.appendLabelBlock(into: &out)
                out.append(UInt8(ascii: "}"))
                out.append(UInt8(ascii: " "))
                append(SampleFormatter.format(one.value), to: &out)
                out.append(UInt8(ascii: "\n"))
                continue
            }
            block.removeAll(keepingCapacity: true)
            one.appendLabelBlock(into: &block)
            switch family.type {
            case .counter, .gauge:
                if let readings = one.workerReadings {
                    // A multiprocess parent's `worker`-mode gauge: one sample per live process.
                    for reading in readings {
                        line(sampleName, block, extra: ("worker", reading.worker),
                             value: SampleFormatter.format(reading.value), into: &out)
                    }
                } else {
                    line(sampleName, block, extra: nil, value: SampleFormatter.format(one.value), into: &out)
                }
            case .histogram:
                let snapshot = one.histogramSnapshot()
                for (bound, count) in zip(snapshot.upperBounds, snapshot.cumulativeCounts) {
                    line(family.name + "_bucket", block, extra: ("le", SampleFormatter.format(bound)), value: String(count), into: &out)
                }
                line(family.name + "_count", block, extra: nil, value: String(snapshot.count), into: &out)
                line(family.name + "_sum", block, extra: nil, value: SampleFormatter.format(snapshot.sum), into: &out)
            }
        }
    }

    /// One sample line; `extra` is a label appended to the series' own (a histogram
    /// bucket's `le`, a worker-mode gauge's `worker`), whose value needs no escaping.
    private static func line(
        _ name: String, _ labelBlock: [UInt8], extra: (name: String, value: String)?, value: String, into out: inout [UInt8]
    ) {
        append(name, to: &out)
        if !labelBlock.isEmpty || extra != nil {
            out.append(UInt8(ascii: "{"))
            out.append(contentsOf: labelBlock)
            if let extra {
                if !labelBlock.isEmpty { out.append(UInt8(ascii: ",")) }
                append(extra.name, to: &out)
                append("=\"", to: &out)
                append(extra.value, to: &out)
                out.append(UInt8(ascii: "\""))
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: " "))
        append(value, to: &out)
        out.append(UInt8(ascii: "\n"))
    }

    private static func append(_ text: String, to out: inout [UInt8]) {
        out.append(contentsOf: text.utf8)
    }
}
