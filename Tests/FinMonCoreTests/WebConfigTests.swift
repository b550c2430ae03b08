import Glibc
import Testing
@testable import FinMonCore

/// The web config parser: exporter-toolkit's keys, its consistency rules, relative paths
/// from the file's folder, and a `ConfigError` naming the key for anything refused.
@Suite struct WebConfigTests {
    static let hash = "$2b$04$lbpE6CHAoYOpcEnDVPuzQu438P6l0bdDVWb6X2jTqa8opRejvGU/2"  // bcrypt("s3cret"), cost 4

    private func refused(_ text: String, path: String = "/etc/finmon/web.yml") -> ConfigError? {
        do {
            _ = try WebConfig.parse(text: text, path: path)
            return nil
        } catch {
            return error
        }
    }

    @Test func readsTLSAndUsersWithPathsFromTheFilesFolder() throws {
        let web = try WebConfig.parse(text: """
            tls_server_config:
              cert_file: tls/server.crt
              key_file: /abs/server.key
              client_auth_type: RequireAndVerifyClientCert
              client_ca_file: ca.crt
              min_version: TLS13
            basic_auth_users:
              prometheus: \(Self.hash)
            """, path: "/etc/finmon/web.yml")
        let tls = try #require(web.tls)
        #expect(tls.certificate == .file("/etc/finmon/tls/server.crt"))
        #expect(tls.key == .file("/abs/server.key"))
        #expect(tls.clientCA == .file("/etc/finmon/ca.crt"))
        #expect(tls.clientAuth == .requireAndVerifyClientCert)
        #expect(tls.minVersion == .tls13 && tls.maxVersion == .tls13)
        #expect(web.basicAuthUsers == ["prometheus": Self.hash])
        #expect(try WebConfig.parse(text: "tls_server_config: {cert_file: a, key_file: b}", path: "web.yml").tls?.key
                == .file("./b"))
        #expect(try WebConfig.parse(text: "tls_server_config: {cert_file: a, key_file: b}", path: "/web.yml").tls?.key
                == .file("/b"))
    }

    @Test func inlinePEMAndEmptySectionsAreAccepted() throws {
        let web = try WebConfig.parse(text: """
            tls_server_config: {cert: "PEM1", key: "PEM2", cipher_suites: [], prefer_server_cipher_suites: true}
            http_server_config: {http2: false, headers: {}}
            rate_limit:
            """, path: "w.yml")
        #expect(web.tls?.certificate == .inline("PEM1") && web.tls?.key == .inline("PEM2"))
        #expect(web.basicAuthUsers.isEmpty)
        let empty = try WebConfig.parse(text: "# nothing\n", path: "w.yml")
        #expect(empty.tls == nil && empty.basicAuthUsers.isEmpty)
        #expect(try WebConfig.parse(text: "tls_server_config: {}", path: "w.yml").tls == nil)
    }

    @Test(arguments: [
        ("tls_server_config: {cert_file: a, key_file: b, cipher_suites: [TLS_AES_128_GCM_SHA256]}",
         "tls_server_config.cipher_suites", ConfigError.Kind.unsupported),
        ("tls_server_config: {cert_file: a, key_file: b, client_allowed_sans: [x]}", "tls_server_config.client_allowed_sans", .unsupported),
        ("tls_server_config: {cert_file: a, key_file: b, curve_preferences: [X25519]}", "tls_server_config.curve_preferences", .unsupported),
        ("tls_server_config: {cert_file: a, key_file: b, prefer_server_cipher_suites: maybe}", "tls_server_config.prefer_server_cipher_suites", .wrongType),
        ("tls_server_config: {cert_file: a, key_file: b, certfile: c}", "tls_server_config.certfile", .unknownKey),
        ("tls_server_config: {key_file: b}", "tls_server_config.cert_file", .wrongType),
        ("tls_server_config: {cert_file: a}", "tls_server_config.key_file", .wrongType),
        ("tls_server_config: {cert_file: a, cert: x, key_file: b}", "tls_server_config.cert_file", .unsupported),
        ("tls_server_config: {cert_file: a, key_file: b, client_auth_type: RequireAnyClientCert, client_ca_file: c}",
         "tls_server_config.client_auth_type", .outOfRange),
        ("tls_server_config: {cert_file: a, key_file: b, client_auth_type: RequireAndVerifyClientCert}",
         "tls_server_config.client_ca_file", .wrongType),
        ("tls_server_config: {cert_file: a, key_file: b, client_ca_file: c}", "tls_server_config.client_auth_type", .unsupported),
        ("tls_server_config: {cert_file: a, key_file: b, min_version: SSL3}", "tls_server_config.min_version", .outOfRange),
        ("tls_server_config: {cert_file: a, key_file: b, min_version: TLS13, max_version: TLS12}", "tls_server_config.max_version", .outOfRange),
        ("tls_server_config: {cert_file: 12, key_file: b}", "tls_server_config.cert_file", .wrongType),
        ("tls_server_config: [a]", "tls_server_config", .wrongType),
        ("basic_auth_users: {alice: secret}", "basic_auth_users.alice", .wrongType),
        ("basic_auth_users: {alice: \"$1$abc$def\"}", "basic_auth_users.alice", .wrongType),
        ("basic_auth_users: [alice]", "basic_auth_users", .wrongType),
        ("http_server_config: {http2: true}", "http_server_config.http2", .unsupported),
        ("http_server_config: {headers: {X-Frame-Options: deny}}", "http_server_config.headers", .unsupported),
        ("rate_limit: {interval: 1s, burst: 20}", "rate_limit", .unsupported),
        ("tls_config: {}", "tls_config", .unknownKey),
    ])
    func refusesWhatFinmonDoesNotServeNamingTheKey(text: String, keyPath: String, kind: ConfigError.Kind) throws {
        let error = try #require(refused(text))
        #expect(error.keyPath == keyPath)
        #expect(error.kind == kind)
        #expect(error.file == "/etc/finmon/web.yml" && error.line == 1)
    }

    @Test func aMissingFileIsAnUnreadableError() throws {
        #expect(throws: ConfigError.self) { try WebConfig.load(path: "/nonexistent/finmon-web.yml") }
        do {
            _ = try WebConfig.load(path: "/nonexistent/finmon-web.yml")
        } catch {
            #expect(error.kind == .unreadable && error.description.contains("No such file"))
        }
    }

    @Test func tlsVersionsAreOrdered() {
        #expect(TLSServerSettings.Version.tls10 < .tls11 && TLSServerSettings.Version.tls12 < .tls13)
        #expect(!(TLSServerSettings.Version.tls13 < .tls12))
    }
}
