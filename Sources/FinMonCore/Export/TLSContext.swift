#if TLS
import NIOCore
import NIOSSL
import NIOTLS

/// The exporter's TLS: `TLSServerSettings` loaded into a BoringSSL context (swift-nio-ssl),
/// once per start; each accepted connection gets its own `NIOSSLServerHandler` from it.
///
/// Every file is read and parsed here, so a missing file, a PEM that is not a
/// certificate, a key that does not match the certificate are `ConfigError`s naming the key
/// (`tls_server_config.key_file`) when the exporter starts, not failed handshakes later.
///
///     let tls = try TLSContext(settings, webConfig: web)
///     try channel.pipeline.syncOperations.addHandler(tls.makeHandler())
final class TLSContext: Sendable {
    let context: NIOSSLContext

    init(_ settings: TLSServerSettings, webConfig: WebConfig) throws(ConfigError) {
        let section = "tls_server_config"
        func bytes(_ source: TLSServerSettings.PEMSource, _ inline: String, _ file: String) throws(ConfigError) -> ([UInt8], String) {
            switch source {
            case .inline(let text): return (Array(text.utf8), "\(section).\(inline)")
            case .file(let path):
                do {
                    return (try MonitoringConfig.readFile(path), "\(section).\(file)")
                } catch {
                    throw webConfig.error(.unreadable, "\(section).\(file)", nil, "\(path): \(error.message)")
                }
            }
        }
        func certificates(_ source: TLSServerSettings.PEMSource, _ inline: String, _ file: String) throws(ConfigError) -> [NIOSSLCertificate] {
            let (pem, keyPath) = try bytes(source, inline, file)
            let chain = (try? NIOSSLCertificate.fromPEMBytes(pem)) ?? []
            guard !chain.isEmpty else {
                throw webConfig.error(.wrongType, keyPath, nil, "holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
            }
            return chain
        }
        let chain = try certificates(settings.certificate, "cert", "cert_file")
        let (keyPEM, keyPath) = try bytes(settings.key, "key", "key_file")
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(bytes: keyPEM, format: .pem)
        } catch {
            throw webConfig.error(.wrongType, keyPath, nil, "holds no unencrypted PEM private key (\(error))")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = Self.version(settings.minVersion)
        configuration.maximumTLSVersion = Self.version(settings.maxVersion)
        switch settings.clientAuth {
        case .noClientCert: configuration.certificateVerification = .none
        case .verifyClientCertIfGiven: configuration.certificateVerification = .optionalVerification
        // Clients have no host name to check; their certificate must chain to the client CA.
        case .requireAndVerifyClientCert: configuration.certificateVerification = .noHostnameVerification
        }
        if let clientCA = settings.clientCA {
            configuration.trustRoots = .certificates(try certificates(clientCA, "client_ca", "client_ca_file"))
        }
        do {
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            // BoringSSL refuses a key that is not the certificate's here.
            throw webConfig.error(.wrongType, keyPath, nil, "cannot be used with the certificate: \(error)")
        }
    }

    /// The first handlers of an accepted connection, in order: the handshake (then plain
    /// bytes inward), and a watcher that calls `onHandshakeFailure` once if it fails (a
    /// plain HTTP request to the TLS port, a client that does not trust the certificate).
    func makeHandlers(onHandshakeFailure: @escaping @Sendable () -> Void) -> [any ChannelHandler] {
        [NIOSSLServerHandler(context: context), HandshakeWatcher(onFailure: onHandshakeFailure)]
    }

    private static func version(_ version: TLSServerSettings.Version) -> TLSVersion {
        switch version {
        case .tls10: .tlsv1
        case .tls11: .tlsv11
        case .tls12: .tlsv12
        case .tls13: .tlsv13
        }
    }
}
/// Calls `onFailure` when the handshake fails, then steps aside once it has completed.
private final class HandshakeWatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private let onFailure: @Sendable () -> Void
    private var counted = false

    init(onFailure: @escaping @Sendable () -> Void) {
        self.onFailure = onFailure
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent {
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if !counted, case .handshakeFailed = error as? NIOSSLError {
            counted = true
            onFailure()
        }
        context.fireErrorCaught(error)
    }
}
#else
/// A library built without the `TLS` trait has no TLS: a web config that asks for it is
/// refused (never served as plain HTTP).
final class TLSContext: Sendable {
    init(_ settings: TLSServerSettings, webConfig: WebConfig) throws(ConfigError) {
        throw webConfig.error(.unsupported, "tls_server_config", nil,
                              "this libfinmon was built without TLS (build it with `swift build --traits TLS`)")
    }
}
#endif
