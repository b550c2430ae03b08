#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a value sits in the file, so each error names the file, line and key path.
struct ConfigLocation: Sendable {
    let fileName: String
    let keyPath: String
    let line: Int
    let column: Int

    func error(_ kind: ConfigError.Kind, _ message: String) -> ConfigError {
        ConfigError(kind: kind, file: fileName, line: line, column: column, keyPath: keyPath, message: message)
    }

    func child(_ key: String, line: Int, column: Int) -> ConfigLocation {
        ConfigLocation(fileName: fileName, keyPath: "\(keyPath).\(key)", line: line, column: column)
    }
}

extension ConfigType {
    /// Checks one value of the file against this type and returns it typed.
    func decode(_ node: YAMLNode, at location: ConfigLocation) throws(ConfigError) -> ConfigValue {
        let got = Self.describe(node)
        func wrongType() -> ConfigError { location.error(.wrongType, "must be \(requirement), got \(got)") }
        func outOfRange() -> ConfigError { location.error(.outOfRange, "must be \(requirement), got \(got)") }
        var scalar: YAMLNode.Scalar?
        if case .scalar(let value) = node.content { scalar = value }

        switch self {
        case .bool:
            guard let bool = scalar?.boolValue else { throw wrongType() }
            return .bool(bool)
        case .integer(let min, let max):
            guard let int = scalar?.intValue else { throw wrongType() }
            guard int >= min, int <= max else { throw outOfRange() }
            return .int(int)
        case .number(let bounds), .seconds(let bounds):
            guard let double = scalar?.doubleValue else { throw wrongType() }
            guard bounds.contains(double) else { throw outOfRange() }
            return .number(double)
        case .string:
            return .string(try Self.nonEmpty(scalar, at: location, wrongType: wrongType))
        case .host:
            let host = try Self.nonEmpty(scalar, at: location, wrongType: wrongType)
            guard Self.isHost(host) else { throw outOfRange() }
            return .string(host)
        case .optionalString:
            if scalar?.isNull == true { return .null }
            return .string(try Self.nonEmpty(scalar, at: location, wrongType: wrongType, hint: " (use null to disable)"))
        case .sendURL:
            if scalar?.isNull == true { return .null }
            let url = try Self.nonEmpty(scalar, at: location, wrongType: wrongType, hint: " (use null to disable)")
            try Self.checkSendURL(url, at: location)
            return .string(url)
        case .url:
            let url = try Self.nonEmpty(scalar, at: location, wrongType: wrongType)
            // Checked as the http:// URL it would be, so host and port get the same rules.
            let lower = url.lowercased()
            let asHTTP = lower.hasPrefix("https://") ? "http://" + url.dropFirst("https://".count) : url
            guard lower.hasPrefix("http://") || lower.hasPrefix("https://"),
                  (try? HTTPEndpoint.parseBaseURL(String(asHTTP))) != nil else { throw outOfRange() }
            return .string(url)
        case .urlPath:
            let path = try Self.nonEmpty(scalar, at: location, wrongType: wrongType)
            guard path.hasPrefix("/"), !path.contains(where: { $0 == "?" || $0 == "#" || $0.isWhitespace }) else {
                throw outOfRange()
            }
            guard path != "/", path != "/healthz" else {
                throw location.error(.outOfRange, "must not be / or /healthz (the exporter answers those itself), got \(got)")
            }
            return .string(path)
        case .duration:
            let text = try Self.nonEmpty(scalar, at: location, wrongType: wrongType)
            guard let seconds = Self.durationSeconds(text), seconds > 0 else { throw outOfRange() }
            return .string(text)
        case .choice(let choices):
            guard let string = scalar?.stringValue else { throw wrongType() }
            guard choices.contains(string) else { throw outOfRange() }
            return .string(string)
        case .list(let choices):
            return .strings(try Self.list(node, choices: choices, at: location, wrongType: wrongType))
        case .labels(let reserved):
            if scalar?.isNull == true { return .labels([:]) }
            return .labels(try Self.labels(node, reserved: reserved, at: location, wrongType: wrongType))
        }
    }

    /// What the user wrote, for "got ..." in messages: plain scalars as written, quoted
    /// ones in double quotes so `"5"` and `5` are told apart.
    static func describe(_ node: YAMLNode) -> String {
        switch node.content {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar(let scalar):
            if scalar.isNull { return "null" }
            if scalar.isPlain && scalar.tag == nil { return scalar.text }
            return "\"\(scalar.text)\""
        }
    }

    /// Seconds of a Prometheus duration (`1h30m`, `250ms`), nil when it is not one.
    public static func durationSeconds(_ text: String) -> Double? {
        let units: [(String, Double)] = [
            ("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400), ("w", 604_800), ("y", 31_536_000),
        ]
        var rest = Substring(text)
        var total = 0.0
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, digits.count <= 12, let value = Double(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            // "ms" is tried before "m", so `5ms` is not read as 5 minutes and a stray "s".
            guard let unit = units.first(where: { rest.hasPrefix($0.0) }) else { return nil }
            rest = rest.dropFirst(unit.0.count)
            total += value * unit.1
        }
        return total
    }

    private static func nonEmpty(
        _ scalar: YAMLNode.Scalar?, at location: ConfigLocation, wrongType: () -> ConfigError, hint: String = ""
    ) throws(ConfigError) -> String {
        guard let string = scalar?.stringValue else { throw wrongType() }
        guard !string.isEmpty else { throw location.error(.outOfRange, "must not be empty\(hint)") }
        try checkNoControlCharacters(string, at: location)
        return string
    }

    /// A NUL would cut a path short at the C boundary (`al\0x.jsonl` wrote `al`), and CR or
    /// LF in a URL or label would split an HTTP header: no setting has a use for either.
    private static func checkNoControlCharacters(_ text: String, at location: ConfigLocation) throws(ConfigError) {
        guard let bad = text.unicodeScalars.first(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return }
        let name = [0: "NUL", 9: "a tab", 10: "a line feed (LF)", 13: "a carriage return (CR)"][bad.value]
            ?? "control character U+\(String(bad.value, radix: 16, uppercase: true))"
        throw location.error(.outOfRange, "must not contain \(name)")
    }

    /// An IPv4 literal (each part 0-255: `999.1.1.1` is refused), an IPv6 literal, or a
    /// host name of letters, digits and hyphens.
    public static func isHost(_ text: String) -> Bool {
        var v4 = in_addr(), v6 = in6_addr()
        if text.contains(":") { return inet_pton(AF_INET6, text, &v6) == 1 }
        if text.allSatisfy({ $0 == "." || ($0.isASCII && $0.isNumber) }) { return inet_pton(AF_INET, text, &v4) == 1 }
        guard text.utf8.count <= 253 else { return false }
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        return labels.allSatisfy { label in
            !label.isEmpty && label.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
    }

    /// An `http://` base URL finmon can reach itself. HTTPS is refused here rather than at
    /// the first alert: finmon's client speaks plain HTTP, and HTTPS receivers (Slack,
    /// PagerDuty, e-mail) are Alertmanager's job.
    private static func checkSendURL(_ url: String, at location: ConfigLocation) throws(ConfigError) {
        let lower = url.lowercased()
        if lower.hasPrefix("https://") {
            throw location.error(.outOfRange,
                "must be an http:// URL (finmon sends plain HTTP; let Alertmanager reach HTTPS receivers), got \"\(url)\"")
        }
        guard lower.hasPrefix("http://") else {
            throw location.error(.outOfRange, "must be an http:// URL, got \"\(url)\"")
        }
        do {
            _ = try HTTPEndpoint.parseBaseURL(url)
        } catch {
            throw location.error(.outOfRange, "is not a usable URL: \(error)")
        }
    }

    private static func list(
        _ node: YAMLNode, choices: [String], at location: ConfigLocation, wrongType: () -> ConfigError
    ) throws(ConfigError) -> [String] {
        guard case .sequence(let items) = node.content else { throw wrongType() }
        var result: [String] = []
        for (index, item) in items.enumerated() {
            var string: String?
            if case .scalar(let scalar) = item.content { string = scalar.stringValue }
            guard let string, choices.contains(string) else {
                throw ConfigError(
                    kind: string == nil ? .wrongType : .outOfRange, file: location.fileName, line: item.line,
                    column: item.column, keyPath: "\(location.keyPath)[\(index)]",
                    message: "must be one of \(choices.joined(separator: ", ")), got \(describe(item))")
            }
            result.append(string)
        }
        return result
    }

    private static func labels(
        _ node: YAMLNode, reserved: [String], at location: ConfigLocation, wrongType: () -> ConfigError
    ) throws(ConfigError) -> [String: String] {
        guard case .mapping(let entries) = node.content else { throw wrongType() }
        var result: [String: String] = [:]
        for label in entries {
            let here = location.child(label.key, line: label.keyLine, column: label.keyColumn)
            do {
                try MetricName.validateLabelName(label.key)
            } catch {
                throw here.error(.outOfRange, "is not a valid Prometheus label name")
            }
            guard !reserved.contains(label.key) else {
                let own = ["job": "monitoring.prometheus.job_name", "instance": "monitoring.prometheus.instance",
                           "run_id": "monitoring.prometheus.run_id"]
                let hint = own[label.key].map { "; set it with \($0)" } ?? ""
                throw here.error(.outOfRange, "is set by finmon itself (reserved: \(reserved.joined(separator: ", "))\(hint))")
            }
            guard case .scalar(let scalar) = label.value.content, let text = scalar.stringValue else {
                throw here.error(.wrongType, "must be a string, got \(describe(label.value))")
            }
            guard !text.isEmpty else { throw here.error(.outOfRange, "must not be empty") }
            try checkNoControlCharacters(text, at: here)
            result[label.key] = text
        }
        return result
    }
}
