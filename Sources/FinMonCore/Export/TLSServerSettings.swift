/// The `tls_server_config` section of a web configuration file (exporter-toolkit's
/// format, see `WebConfig`): the exporter's certificate and key, and whether it asks
/// clients for theirs. File paths are already resolved against the web config's folder.
///
///     tls_server_config:
///       cert_file: server.crt
///       key_file: server.key
///       client_auth_type: RequireAndVerifyClientCert   # optional; mutual TLS
///       client_ca_file: clients-ca.crt
///       min_version: TLS12                             # optional; the default
public struct TLSServerSettings: Sendable, Equatable {
    /// PEM text from a file (`cert_file`) or given inline (`cert`).
    public enum PEMSource: Sendable, Equatable {
        case file(String)
        case inline(String)
    }

    /// exporter-toolkit's `client_auth_type` values that finmon serves. Go's
    /// `RequestClientCert` and `RequireAnyClientCert` accept certificates nobody verified,
    /// which BoringSSL's verification modes cannot express; they are refused by name.
    public enum ClientAuth: String, Sendable, Equatable, CaseIterable {
        case noClientCert = "NoClientCert"
        case verifyClientCertIfGiven = "VerifyClientCertIfGiven"
        case requireAndVerifyClientCert = "RequireAndVerifyClientCert"
    }

    /// `min_version` and `max_version`, spelled as exporter-toolkit spells them.
    public enum Version: String, Sendable, Equatable, CaseIterable, Comparable {
        case tls10 = "TLS10"
        case tls11 = "TLS11"
        case tls12 = "TLS12"
        case tls13 = "TLS13"

        public static func < (lhs: Version, rhs: Version) -> Bool {
            allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
        }
    }

    public var certificate: PEMSource
    public var key: PEMSource
    public var clientAuth: ClientAuth
    public var clientCA: PEMSource?
    public var minVersion: Version
    public var maxVersion: Version

    public init(certificate: PEMSource, key: PEMSource, clientAuth: ClientAuth = .noClientCert,
                clientCA: PEMSource? = nil, minVersion: Version = .tls12, maxVersion: Version = .tls13) {
        self.certificate = certificate
        self.key = key
        self.clientAuth = clientAuth
        self.clientCA = clientCA
        self.minVersion = minVersion
        self.maxVersion = maxVersion
    }

    /// Whether this library was built with TLS (the package trait `TLS`); without it a web
    /// config that asks for TLS is a config error, never plain HTTP.
    public static var isAvailable: Bool {
        #if TLS
        true
        #else
        false
        #endif
    }
}
