#if TLS
import Glibc
import Testing
@testable import FinMonCore

/// Loading the web config's certificate and key: what does not load is a `ConfigError`
/// naming the key, at load time. The certificates are made by openssl (Debian's) per run.
@Suite struct TLSContextTests {
    private struct Files {
        let directory: ConfigTestSupport.TemporaryDirectory
        var path: String { directory.path }

        init() throws {
            directory = try ConfigTestSupport.TemporaryDirectory()
            for name in ["server", "other"] {
                let status = system("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
                    + "-subj /CN=localhost -keyout '\(directory.path)/\(name).key' -out '\(directory.path)/\(name).crt' "
                    + ">/dev/null 2>&1")
                guard status == 0 else { throw ConfigTestSupport.IOError(description: "openssl req failed: \(status)") }
            }
        }

        func web(_ text: String) throws -> WebConfig {
            try ConfigTestSupport.write(text, to: "\(path)/web.yml")
            return try WebConfig.load(path: "\(path)/web.yml")
        }

        func error(_ text: String) throws -> ConfigError? {
            do {
                _ = try web(text)
                return nil
            } catch let error as ConfigError {
                return error
            }
        }
    }

    @Test func aCertificateAndItsKeyLoadFromTheFilesFolder() throws {
        let files = try Files()
        defer { files.directory.remove() }
        let web = try files.web("tls_server_config: {cert_file: server.crt, key_file: server.key}\n")
        #expect(web.tls?.certificate == .file("\(files.path)/server.crt"))
        #expect(try web.makeTLSContext() != nil)
        let mutual = try files.web("""
            tls_server_config:
              cert_file: server.crt
              key_file: server.key
              client_auth_type: VerifyClientCertIfGiven
              client_ca_file: other.crt
              max_version: TLS12
            """)
        #expect(mutual.tls?.clientAuth == .verifyClientCertIfGiven)
        let pem = try ConfigTestSupport.read("\(files.path)/server.crt")
        let key = try ConfigTestSupport.read("\(files.path)/server.key")
        let inline = WebConfig(path: "inline.yml", tls: TLSServerSettings(certificate: .inline(pem), key: .inline(key),
                                                                           clientAuth: .requireAndVerifyClientCert,
                                                                           clientCA: .inline(pem)))
        #expect(try inline.makeTLSContext() != nil)
    }

    @Test func whatDoesNotLoadIsAnErrorNamingItsKey() throws {
        let files = try Files()
        defer { files.directory.remove() }
        let missing = try #require(try files.error("tls_server_config: {cert_file: server.crt, key_file: gone.key}\n"))
        #expect(missing.keyPath == "tls_server_config.key_file" && missing.kind == .unreadable)
        #expect(missing.description.contains("gone.key") && missing.description.contains("No such file"))
        try ConfigTestSupport.write("not a certificate\n", to: "\(files.path)/bad.crt")
        let garbage = try #require(try files.error("tls_server_config: {cert_file: bad.crt, key_file: server.key}\n"))
        #expect(garbage.keyPath == "tls_server_config.cert_file" && garbage.message.contains("no PEM certificate"))
        let notAKey = try #require(try files.error("tls_server_config: {cert_file: server.crt, key_file: server.crt}\n"))
        #expect(notAKey.keyPath == "tls_server_config.key_file" && notAKey.message.contains("private key"))
        let mismatch = try #require(try files.error("tls_server_config: {cert_file: server.crt, key_file: other.key}\n"))
        #expect(mismatch.keyPath == "tls_server_config.key_file" && mismatch.message.contains("cannot be used"))
        let badCA = try #require(try files.error("""
            tls_server_config: {cert_file: server.crt, key_file: server.key, client_ca_file: bad.crt,
                                client_auth_type: RequireAndVerifyClientCert}
            """))
        #expect(badCA.keyPath == "tls_server_config.client_ca_file")
        #expect(files.directory.path.hasPrefix("/"))
    }
}
#endif
