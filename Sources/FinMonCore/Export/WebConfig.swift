/// The exporter's TLS and basic authentication, from a web configuration file in
/// Prometheus exporter-toolkit's format (`monitoring.prometheus.web_config_file`, or
/// `start_http_server(web_config_file=...)`), so the file an exporter user already has works:
///
///     tls_server_config:
///       cert_file: server.crt        # relative paths: from this file's folder
///       key_file: server.key
///     basic_auth_users:
///       prometheus: $2y$10$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG
///
///     let web = try WebConfig.load(path: "config/web.yml")
///
/// Everything the exporter serves (`/metrics`, `/`, `/api/history`, `/healthz`) is behind
/// it. A key finmon does not implement (`cipher_suites`, `rate_limit`, response `headers`,
/// ...) is a `ConfigError` naming it, never silently ignored; so is a certificate or hash
/// that cannot be used. The file is read once, at the exporter's start (exporter-toolkit
/// reads it per request): a change needs a restart of the exporter.
public struct WebConfig: Sendable, Equatable {
    /// The file it was read from (messages; relative paths inside resolve against its folder).
    public let path: String
    /// nil: plain HTTP.
    public let tls: TLSServerSettings?
    /// User name to bcrypt hash (`$2a$`, `$2b$`, `$2y$`); empty: no authentication.
    public let basicAuthUsers: [String: String]

    public init(path: String, tls: TLSServerSettings?, basicAuthUsers: [String: String] = [:]) {
        self.path = path
        self.tls = tls
        self.basicAuthUsers = basicAuthUsers
    }

    /// Reads and checks the file: its keys, that each named file is readable, that each
    /// hash is a bcrypt hash; with TLS, that the certificate and key load (see `TLSContext`).
    public static func load(path: String) throws(ConfigError) -> WebConfig {
        let bytes = try MonitoringConfig.readFile(path)
        let config = try parse(YAMLLoader.load(bytes: bytes, fileName: path), path: path)
        try config.check()
        return config
    }

    /// The text of a web config file, checked for its keys and values only (no file is read);
    /// `path` names it in messages and is the base of relative paths.
    public static func parse(text: String, path: String) throws(ConfigError) -> WebConfig {
        try parse(YAMLLoader.load(text: text, fileName: path), path: path)
    }

    /// Loads every file the config names (certificates, key, client CA), so a missing or
    /// invalid one is an error now rather than at the first handshake.
    public func check() throws(ConfigError) {
        _ = try makeTLSContext()
    }

    /// The loaded TLS context, nil without `tls_server_config`. A library built without
    /// the `TLS` trait refuses every web config: its point is TLS or credentials that
    /// would otherwise cross the network in the clear, and neither may silently fall back.
    func makeTLSContext() throws(ConfigError) -> TLSContext? {
        guard TLSServerSettings.isAvailable else {
            throw error(.unsupported, "", nil,
                        "this libfinmon was built without TLS (build it with `swift build --traits TLS`); refusing to serve plain HTTP")
        }
        return try tls.map { settings throws(ConfigError) in try TLSContext(settings, webConfig: self) }
    }

    /// An error about `keyPath` of this file at `node`.
    func error(_ kind: ConfigError.Kind, _ keyPath: String, _ node: YAMLNode?, _ message: String) -> ConfigError {
        ConfigError(kind: kind, file: path, line: node?.line ?? 0, column: node?.column ?? 0, keyPath: keyPath,
                    message: message)
    }

    private static func parse(_ root: YAMLNode?, path: String) throws(ConfigError) -> WebConfig {
        let reader = WebConfigReader(path: path)
        let top = try reader.mapping(root, "")
        try reader.refuseUnknown(top, "", known: ["tls_server_config", "basic_auth_users", "http_server_config", "rate_limit"])
        let tls = try reader.tlsSettings(top.first { $0.key == "tls_server_config" })
        var users: [String: String] = [:]
        if let entry = top.first(where: { $0.key == "basic_auth_users" }) {
            for user in try reader.mapping(entry.value, "basic_auth_users") {
                let keyPath = "basic_auth_users.\(user.key)"
                let hash = try reader.string(user.value, keyPath)
                guard BasicAuthenticator.isBcryptHash(hash) else {
                    throw reader.error(.wrongType, keyPath, user.value,
                        "must be a bcrypt hash ($2a$, $2b$ or $2y$, cost 04 to 31, 60 characters), as `htpasswd -nBC 10 \"\" | tr -d ':\\n'` prints")
                }
                users[user.key] = hash
            }
        }
        if let entry = top.first(where: { $0.key == "http_server_config" }) {
            for option in try reader.mapping(entry.value, "http_server_config") {
                let keyPath = "http_server_config.\(option.key)"
                switch option.key {
                case "http2":
                    // exporter-toolkit's default is true; finmon speaks HTTP/1.1 only, and says so.
                    guard reader.isFalseOrNull(option.value) else {
                        throw reader.error(.unsupported, keyPath, option.value,
                                           "finmon serves HTTP/1.1 only; set it to false or remove it")
                    }
                default:
                    guard reader.isEmpty(option.value) else {
                        throw reader.error(.unsupported, keyPath, option.value, "not supported by finmon's exporter; remove it")
                    }
                }
            }
        }
        if let entry = top.first(where: { $0.key == "rate_limit" }), !reader.isEmpty(entry.value) {
            throw reader.error(.unsupported, "rate_limit", entry.value,
                               "not supported by finmon's exporter (monitoring.prometheus.max_connections bounds connections); remove it")
        }
        return WebConfig(path: path, tls: tls, basicAuthUsers: users)
    }
}
