/// Reads a web configuration file's YAML tree into `WebConfig`'s values; every error is a
/// `ConfigError` with the file, the line and the dotted key (`tls_server_config.cert_file`).
struct WebConfigReader {
    let path: String
    /// The folder relative paths resolve against, as exporter-toolkit resolves them.
    let folder: String

    init(path: String) {
        self.path = path
        if let slash = path.lastIndex(of: "/") {
            folder = slash == path.startIndex ? "/" : String(path[..<slash])
        } else {
            folder = "."
        }
    }

    func error(_ kind: ConfigError.Kind, _ keyPath: String, _ node: YAMLNode?, _ message: String) -> ConfigError {
        ConfigError(kind: kind, file: path, line: node?.line ?? 0, column: node?.column ?? 0, keyPath: keyPath,
                    message: message)
    }

    /// A mapping's entries; null (or an empty document) is an empty mapping.
    func mapping(_ node: YAMLNode?, _ keyPath: String) throws(ConfigError) -> [YAMLNode.Entry] {
        guard let node else { return [] }
        switch node.content {
        case .mapping(let entries): return entries
        case .scalar(let scalar) where scalar.isNull: return []
        default: throw error(.wrongType, keyPath, node, "must be a mapping, got \(ConfigType.describe(node))")
        }
    }

    func string(_ node: YAMLNode, _ keyPath: String) throws(ConfigError) -> String {
        guard case .scalar(let scalar) = node.content, let text = scalar.stringValue, !text.isEmpty else {
            throw error(.wrongType, keyPath, node, "must be a non-empty string, got \(ConfigType.describe(node))")
        }
        guard !text.utf8.contains(0) else { throw error(.wrongType, keyPath, node, "must not contain a NUL byte") }
        return text
    }

    /// null, an empty string, an empty list or mapping: a key written with nothing in it.
    func isEmpty(_ node: YAMLNode) -> Bool {
        switch node.content {
        case .scalar(let scalar): return scalar.isNull || (scalar.stringValue?.isEmpty ?? false)
        case .mapping(let entries): return entries.isEmpty
        case .sequence(let items): return items.isEmpty
        }
    }

    func isFalseOrNull(_ node: YAMLNode) -> Bool {
        guard case .scalar(let scalar) = node.content else { return false }
        return scalar.isNull || scalar.boolValue == false
    }

    func refuseUnknown(_ entries: [YAMLNode.Entry], _ section: String, known: Set<String>) throws(ConfigError) {
        for entry in entries where !known.contains(entry.key) {
            let keyPath = section.isEmpty ? entry.key : "\(section).\(entry.key)"
            throw ConfigError(kind: .unknownKey, file: path, line: entry.keyLine, column: entry.keyColumn,
                              keyPath: keyPath,
                              message: "unknown key; a web config has \(known.sorted().joined(separator: ", "))")
        }
    }

    /// A `<filename>` value: absolute, or resolved against the web config's folder.
    func file(_ node: YAMLNode, _ keyPath: String) throws(ConfigError) -> String {
        let name = try string(node, keyPath)
        return name.hasPrefix("/") ? name : (folder == "/" ? "/" : folder + "/") + name
    }

    /// `tls_server_config`, nil when the section is absent or empty.
    func tlsSettings(_ entry: YAMLNode.Entry?) throws(ConfigError) -> TLSServerSettings? {
        guard let entry else { return nil }
        let section = "tls_server_config"
        let entries = try mapping(entry.value, section)
        if entries.isEmpty { return nil }
        try refuseUnknown(entries, section, known: [
            "cert", "key", "client_ca", "cert_file", "key_file", "client_auth_type", "client_ca_file",
            "client_allowed_sans", "min_version", "max_version", "cipher_suites", "prefer_server_cipher_suites",
            "curve_preferences",
        ])
        func node(_ key: String) -> YAMLNode? { entries.first { $0.key == key }?.value }
        func pem(inline: String, file: String) throws(ConfigError) -> TLSServerSettings.PEMSource? {
            switch (node(inline), node(file)) {
            case (let text?, nil): return .inline(try string(text, "\(section).\(inline)"))
            case (nil, let name?): return .file(try self.file(name, "\(section).\(file)"))
            case (nil, nil): return nil
            case (_, let name?):
                throw error(.unsupported, "\(section).\(file)", name, "give \(inline) or \(file), not both")
            }
        }
        guard let certificate = try pem(inline: "cert", file: "cert_file") else {
            throw error(.wrongType, "\(section).cert_file", entry.value, "missing: TLS needs the server's certificate")
        }
        guard let key = try pem(inline: "key", file: "key_file") else {
            throw error(.wrongType, "\(section).key_file", entry.value, "missing: TLS needs the server's private key")
        }
        var settings = TLSServerSettings(certificate: certificate, key: key)
        settings.clientCA = try pem(inline: "client_ca", file: "client_ca_file")
        if let value = node("client_auth_type") {
            let keyPath = "\(section).client_auth_type"
            let name = try string(value, keyPath)
            guard let auth = TLSServerSettings.ClientAuth(rawValue: name) else {
                throw error(.outOfRange, keyPath, value,
                    "must be one of \(TLSServerSettings.ClientAuth.allCases.map(\.rawValue).joined(separator: ", ")), got \(name)"
                    + (["RequestClientCert", "RequireAnyClientCert"].contains(name)
                       ? " (finmon verifies every client certificate it asks for)" : ""))
            }
            settings.clientAuth = auth
        }
        // exporter-toolkit's own consistency rules, with its reasons.
        if settings.clientAuth != .noClientCert && settings.clientCA == nil {
            throw error(.wrongType, "\(section).client_ca_file", entry.value,
                        "missing: client_auth_type \(settings.clientAuth.rawValue) verifies clients against it")
        }
        if settings.clientAuth == .noClientCert, settings.clientCA != nil {
            throw error(.unsupported, "\(section).client_auth_type", node("client_auth_type") ?? entry.value,
                        "a client CA is configured but client_auth_type is NoClientCert; set VerifyClientCertIfGiven or RequireAndVerifyClientCert")
        }
        settings.minVersion = try version(node("min_version"), "\(section).min_version") ?? .tls12
        settings.maxVersion = try version(node("max_version"), "\(section).max_version") ?? .tls13
        if settings.minVersion > settings.maxVersion {
            throw error(.outOfRange, "\(section).max_version", node("max_version"),
                        "\(settings.maxVersion.rawValue) is below min_version \(settings.minVersion.rawValue)")
        }
        for key in ["cipher_suites", "curve_preferences", "client_allowed_sans"] {
            if let value = node(key), !isEmpty(value) {
                throw error(.unsupported, "\(section).\(key)", value,
                            "not supported by finmon's exporter (BoringSSL's defaults apply); remove it")
            }
        }
        if let value = node("prefer_server_cipher_suites"), !isEmpty(value) {
            guard case .scalar(let scalar) = value.content, scalar.boolValue != nil else {
                throw error(.wrongType, "\(section).prefer_server_cipher_suites", value,
                            "must be true or false, got \(ConfigType.describe(value))")
            }
            // Without cipher_suites it names no order to prefer: both values serve the same.
        }
        return settings
    }

    private func version(_ node: YAMLNode?, _ keyPath: String) throws(ConfigError) -> TLSServerSettings.Version? {
        guard let node, !isEmpty(node) else { return nil }
        let name = try string(node, keyPath)
        guard let version = TLSServerSettings.Version(rawValue: name) else {
            throw error(.outOfRange, keyPath, node,
                        "must be one of \(TLSServerSettings.Version.allCases.map(\.rawValue).joined(separator: ", ")), got \(name)")
        }
        return version
    }
}
