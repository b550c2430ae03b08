/// The table's three renderings: JSON for Python, the README's Markdown table and the
/// commented `config/monitoring_config.yaml`. Tests compare the committed files with them.
extension ConfigTable {
    /// One JSON object per row: `path`, `kind`, `type` (as the README shows it), `default`,
    /// `doc`, `design`, and `min`/`max` (`min_open`/`max_open`) for bounded numbers.
    public static func schemaJSON() -> String {
        JSONValue.array(keys.map { key in
            var members: [(String, JSONValue)] = [
                ("path", .string(key.path)), ("kind", .string(key.type.kind)), ("type", .string(key.type.summary)),
                ("default", key.defaultValue.json), ("doc", .string(key.doc)), ("design", .bool(key.design)),
            ]
            switch key.type {
            case .integer(let min, let max):
                members += [("min", .int(min)), ("max", .int(max))]
            case .number(let bounds), .seconds(let bounds):
                members += [("min", .number(bounds.lower)), ("max", .number(bounds.upper)),
                            ("min_open", .bool(bounds.lowerOpen)), ("max_open", .bool(bounds.upperOpen))]
            case .choice(let choices), .list(let choices):
                members.append(("choices", .array(choices.map(JSONValue.string))))
            default:
                break
            }
            return .orderedObject(members)
        }).rendered
    }

    /// The README's settings table: every key with its default, type and bounds, and doc.
    public static func markdownTable() -> String {
        var lines = ["| Key | Default | Type and bounds | Meaning |", "| --- | --- | --- | --- |"]
        for key in keys {
            let from = key.design ? " (design)" : ""
            lines.append("| `\(key.path)` | `\(cell(key.defaultValue.description))` | \(cell(key.type.summary)) | "
                + "\(cell(key.doc))\(from) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `config/monitoring_config.yaml`: every key at its default with its doc as a comment,
    /// in the design's layout.
    public static func yamlTemplate() -> String {
        var lines = [
            "# finmon configuration, in the layout of the original design's config example.",
            "#",
            "# Every value below is the built-in default: delete a key to keep its default; an empty",
            "# file means \"all defaults\". finmon validates this file strictly: an unknown key, a value",
            "# of the wrong type or out of range stops start-up with the file, line and key path of",
            "# the problem. Durations are in seconds unless they carry a unit (\"5s\").",
            "# Generated from the settings table: python -m finmon config --template",
        ]
        func emit(_ section: String, depth: Int) {
            let indent = String(repeating: "  ", count: depth)
            for name in children[section] ?? [] {
                let path = section.isEmpty ? name : "\(section).\(name)"
                if let key = key(path) {
                    let text = "\(indent)\(name): \(key.defaultValue)"
                    let pad = String(repeating: " ", count: max(2, 44 - text.count))
                    lines.append(text + pad + "# " + key.doc)
                } else {
                    if depth <= 1 { lines.append("") }
                    lines.append("\(indent)\(name):")
                    emit(path, depth: depth + 1)
                }
            }
        }
        emit("", depth: 0)
        return lines.joined(separator: "\n") + "\n"
    }

    private static func cell(_ text: String) -> String {
        text.split(separator: "|", omittingEmptySubsequences: false).joined(separator: "\\|")
    }
}

extension ConfigType {
    /// The machine-readable name of the type, for Python's conversion of values.
    public var kind: String {
        switch self {
        case .bool: "bool"
        case .integer: "integer"
        case .number: "number"
        case .seconds: "seconds"
        case .string: "string"
        case .host: "host"
        case .optionalString: "optional_string"
        case .sendURL: "send_url"
        case .url: "url"
        case .urlPath: "url_path"
        case .duration: "duration"
        case .choice: "choice"
        case .list: "list"
        case .labels: "labels"
        }
    }
}
