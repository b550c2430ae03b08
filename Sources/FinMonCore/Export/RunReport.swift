/// `report.html` rebuilt from a `metrics_final.json` (what `python -m finmon report`
/// runs; at stop `FinalExport` writes the same page directly).
///
///     try RunReport.write(finalJSON: "out/metrics_final.json", to: "out/report.html")
public enum RunReport {
    /// The largest metrics_final.json read: far above a 24 h history of 1,000 series (~40 MB).
    public static let maxBytes = 512 << 20

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case unreadable(String)
        case notFinalRecord(path: String, reason: String)
        case write(String)

        public var description: String {
            switch self {
            case .unreadable(let reason): "cannot read the final record: \(reason)"
            case .notFinalRecord(let path, let reason): "\(path) is not a finmon final record with a history: \(reason)"
            case .write(let reason): "cannot write the report: \(reason)"
            }
        }
    }

    /// Reads `finalJSON`, checks it is a final record carrying a history, and writes the
    /// report to `path` atomically.
    public static func write(finalJSON: String, to path: String) throws(Failure) {
        let bytes: [UInt8]
        do {
            bytes = try ProcFile.read(finalJSON, limit: maxBytes)
        } catch {
            throw .unreadable("\(error)")
        }
        let document: JSONValue
        do {
            document = try JSONParser.parse(bytes, maxBytes: maxBytes)
        } catch {
            throw .notFinalRecord(path: finalJSON, reason: "\(error)")
        }
        guard case .object(let members) = document else {
            throw .notFinalRecord(path: finalJSON, reason: "not a JSON object")
        }
        guard let history = members.last(where: { $0.key == "history" })?.value, case .object = history else {
            throw .notFinalRecord(path: finalJSON, reason: "no \"history\" (a run without history sampling, or an older finmon)")
        }
        do {
            try AtomicFile.write(LivePage.report(finalJSON: bytes), to: path)
        } catch {
            throw .write("\(error)")
        }
    }
}
