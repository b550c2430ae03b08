import CFinMonPage
import Synchronization

/// The exporter's pages: the live page at `/` (the four panels, current values, alerts and
/// the champion's history, polling `/api/history`) and the report of a finished run (the
/// same page with the run's data inlined, no exporter needed).
///
/// Both are one self-contained HTML document: dygraphs (Debian's libjs-dygraphs, MIT,
/// 131 KB minified), the page's script and style and the panels (generated from
/// python/finmon/_panels.py) are compiled into the library (CFinMonPage), so the page
/// needs no network and no file beside the library.
///
///     let page = LivePage(history: collector.history)
///     page.html                    // GET /
///     page.historyJSON(query: "after=1700000000")   // GET /api/history?after=...
public struct LivePage: Sendable {
    public let history: MetricsHistory
    public let metricsPath: String
    private let built: Built

    public init(history: MetricsHistory, metricsPath: String = "/metrics") {
        self.history = history
        self.metricsPath = metricsPath
        built = Built(metricsPath: metricsPath)
    }

    /// The live page's bytes, built on the first request and kept (they do not change while
    /// the library runs). Not at start: a loop that never opens the page would keep ~0.4 MiB
    /// resident for it (the page, its gzip'd copy, the assets read to build them and
    /// zlib's freed state; issue #16).
    public var html: [UInt8] { built.bytes.html }

    /// `html` gzip'd, for clients that accept it (nil if compression failed).
    public var gzippedHTML: [UInt8]? { built.bytes.gzipped }

    /// The page's bytes, made once by whichever request comes first.
    private final class Built: Sendable {
        private let metricsPath: String
        private let made = Mutex<(html: [UInt8], gzipped: [UInt8]?)?>(nil)

        init(metricsPath: String) {
            self.metricsPath = metricsPath
        }

        var bytes: (html: [UInt8], gzipped: [UInt8]?) {
            made.withLock { made in
                if let made { return made }
                let config = "{\"mode\": \"live\", \"metrics_path\": " + JSONText.quoted(metricsPath)
                    + ", \"history_path\": \"/api/history\"}"
                let html = LivePage.document(config: config, data: "null")
                let bytes = (html: html, gzipped: Gzip.compress(html))
                made = bytes
                return bytes
            }
        }
    }

    /// The body of `GET /api/history?after=<epoch seconds>&names=<a,b,...>`: everything
    /// without `after`, else only the points newer than it; every series without `names`,
    /// else only the series of those names.
    public func historyJSON(query: String?) -> [UInt8] {
        Array(history.json(after: Self.after(in: query), names: Self.names(in: query)).utf8)
    }

    static func parameter(_ name: String, in query: String?) -> Substring? {
        guard let query else { return nil }
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if parts.count == 2, parts[0] == name { return parts[1] }
        }
        return nil
    }

    /// `after=<number>` of a query string; nil when absent or not a finite number.
    static func after(in query: String?) -> Double? {
        guard let text = parameter("after", in: query), let value = Double(text), value.isFinite else { return nil }
        return value
    }

    /// `names=a,b` of a query string (metric names need no percent-encoding); nil when absent.
    static func names(in query: String?) -> Set<String>? {
        guard let text = parameter("names", in: query) else { return nil }
        return Set(text.split(separator: ",").map(String.init))
    }

    /// The report of a finished run: the page with `finalJSON` (metrics_final.json's text,
    /// with its `history`) inlined, drawn without an exporter.
    public static func report(finalJSON: [UInt8]) -> [UInt8] {
        document(config: "{\"mode\": \"report\"}", data: escapedForScript(finalJSON))
    }

    /// The page with its parts filled in at the template's `@@NAME@@` markers.
    static func document(config: String, data: [UInt8]) -> [UInt8] {
        fill(bytes(cfinmon_page_html()), [
            "DYGRAPH_CSS": bytes(cfinmon_page_dygraph_css()),
            "PAGE_CSS": bytes(cfinmon_page_css()),
            "PANELS": bytes(cfinmon_page_panels_json()),
            "CONFIG": Array(config.utf8),
            "DATA": data,
            "DYGRAPH_JS": bytes(cfinmon_page_dygraph_js()),
            "HISTORY_JS": bytes(cfinmon_page_history_js()),
            "PAGE_JS": bytes(cfinmon_page_js()),
        ])
    }

    static func document(config: String, data: String) -> [UInt8] {
        document(config: config, data: escapedForScript(Array(data.utf8)))
    }

    static func bytes(_ asset: finmon_page_asset) -> [UInt8] {
        guard let base = asset.bytes, asset.length > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: base, count: asset.length))
    }

    /// Replaces each `@@NAME@@` in `template` whose NAME is a key of `parts`.
    static func fill(_ template: [UInt8], _ parts: [String: [UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(template.count + parts.values.reduce(0) { $0 + $1.count })
        let at = UInt8(ascii: "@")
        var index = 0
        while index < template.count {
            if template[index] == at, index + 1 < template.count, template[index + 1] == at,
               let end = markerEnd(template, from: index + 2),
               let part = parts[String(decoding: template[(index + 2)..<end], as: UTF8.self)] {
                out += part
                index = end + 2
            } else {
                out.append(template[index])
                index += 1
            }
        }
        return out
    }

    private static func markerEnd(_ bytes: [UInt8], from start: Int) -> Int? {
        var index = start
        while index + 1 < bytes.count, index - start < 40 {
            let byte = bytes[index]
            if byte == UInt8(ascii: "@") { return bytes[index + 1] == UInt8(ascii: "@") ? index : nil }
            guard (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || byte == UInt8(ascii: "_") else { return nil }
            index += 1
        }
        return nil
    }

    /// JSON inside a <script> element: `</` becomes `<\/` (same JSON, and no `</script>`
    /// in a message can end the element early).
    static func escapedForScript(_ json: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(json.count)
        for (index, byte) in json.enumerated() {
            out.append(byte)
            if byte == UInt8(ascii: "<"), index + 1 < json.count, json[index + 1] == UInt8(ascii: "/") {
                out.append(UInt8(ascii: "\\"))
            }
        }
        return out
    }
}
