import Glibc
import NIOCore
import NIOPosix
import Testing
@testable import FinMonCore

/// bcrypt through libxcrypt, the Authorization header, the verdict cache, and the exporter
/// answering 401 without the right credentials.
@Suite(.serialized) struct BasicAuthenticatorTests {
    static let hash = WebConfigTests.hash  // bcrypt("s3cret"), cost 4
    static let hash2a = "$2a$04$68nKvgnNBrqlRxLLEAnyz.vaVCqOZcB.JbQUG9jtg55ejXZaf/dh."  // the same password, $2a$

    static func basic(_ credentials: String) -> String {
        "Basic " + base64(Array(credentials.utf8))
    }

    private static func base64(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        var text = ""
        for start in stride(from: 0, to: bytes.count, by: 3) {
            let chunk = Array(bytes[start..<min(start + 3, bytes.count)]) + [0, 0]
            let value = UInt32(chunk[0]) << 16 | UInt32(chunk[1]) << 8 | UInt32(chunk[2])
            let count = min(3, bytes.count - start) + 1
            for index in 0..<4 {
                text.append(index < count ? alphabet[Int(value >> UInt32(18 - 6 * index)) & 63] : "=")
            }
        }
        return text
    }

    @Test func bcryptVerifiesEachPrefix() {
        #expect(BasicAuthenticator.bcryptMatches(password: Array("s3cret".utf8), hash: Self.hash))
        #expect(BasicAuthenticator.bcryptMatches(password: Array("s3cret".utf8), hash: Self.hash2a))
        let hash2y = "$2y$" + Self.hash.dropFirst(4)
        #expect(BasicAuthenticator.bcryptMatches(password: Array("s3cret".utf8), hash: hash2y))
        #expect(!BasicAuthenticator.bcryptMatches(password: Array("s3creT".utf8), hash: Self.hash))
        #expect(!BasicAuthenticator.bcryptMatches(password: [], hash: Self.hash))
        // C would stop at the NUL and compare "s3cret": refused before that.
        #expect(!BasicAuthenticator.bcryptMatches(password: Array("s3cret\0x".utf8), hash: Self.hash))
        #expect(!BasicAuthenticator.bcryptMatches(password: Array("s3cret".utf8), hash: "$2b$04$short"))
        #expect(!BasicAuthenticator.bcryptMatches(password: Array("x".utf8), hash: BasicAuthenticator.unknownUserHash))
    }

    @Test func recognisesBcryptHashes() {
        #expect(BasicAuthenticator.isBcryptHash(Self.hash))
        #expect(BasicAuthenticator.isBcryptHash(Self.hash2a))
        #expect(BasicAuthenticator.isBcryptHash(BasicAuthenticator.unknownUserHash))
        #expect(!BasicAuthenticator.isBcryptHash("$2x$" + Self.hash.dropFirst(4)))
        #expect(!BasicAuthenticator.isBcryptHash("$2b$03$" + Self.hash.dropFirst(7)))
        #expect(!BasicAuthenticator.isBcryptHash("$2b$32$" + Self.hash.dropFirst(7)))
        #expect(!BasicAuthenticator.isBcryptHash(String(Self.hash.dropLast())))
        #expect(!BasicAuthenticator.isBcryptHash(String(Self.hash.dropLast()) + "!"))
        #expect(!BasicAuthenticator.isBcryptHash("$6$salt$" + String(repeating: "a", count: 52)))
    }

    @Test func parsesTheAuthorizationHeader() throws {
        let (user, password) = try #require(BasicAuthenticator.credentials(authorization: Self.basic("alice:pa:ss")))
        #expect(user == "alice" && password == Array("pa:ss".utf8))
        #expect(BasicAuthenticator.credentials(authorization: "basic  " + Self.base64(Array("a:b".utf8)))?.0 == "a")
        #expect(BasicAuthenticator.credentials(authorization: "Basic YTpi")?.1 == Array("b".utf8))  // no padding
        #expect(BasicAuthenticator.credentials(authorization: nil) == nil)
        #expect(BasicAuthenticator.credentials(authorization: "Bearer abc") == nil)
        #expect(BasicAuthenticator.credentials(authorization: "Basic") == nil)
        #expect(BasicAuthenticator.credentials(authorization: "Basic !!!!") == nil)
        #expect(BasicAuthenticator.credentials(authorization: Self.basic("nocolon")) == nil)
        #expect(BasicAuthenticator.credentials(authorization: "Basic " + Self.base64([0xff, 0x3a, 0x61])) == nil)  // user not UTF-8
        #expect(Base64.decode("YQ===") == nil && Base64.decode("Y") == nil && Base64.decode("") == [])
    }

    @Test func verdictsAreCachedAfterTheFirstBcrypt() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let auth = BasicAuthenticator(users: ["alice": Self.hash])
        defer { auth.shutdown() }
        let loop = group.next()
        let right = Self.basic("alice:s3cret")
        #expect(auth.cachedVerdict(authorization: right) == nil)
        #expect(auth.cachedVerdict(authorization: nil) == .missingCredentials)
        #expect(try auth.verify(authorization: right, on: loop).wait() == .allowed)
        #expect(auth.cachedVerdict(authorization: right) == .allowed)
        #expect(try auth.verify(authorization: Self.basic("alice:wrong"), on: loop).wait() == .invalidCredentials)
        #expect(auth.cachedVerdict(authorization: Self.basic("alice:wrong")) == .invalidCredentials)
        #expect(try auth.verify(authorization: Self.basic("bob:s3cret"), on: loop).wait() == .invalidCredentials)
        #expect(try auth.verify(authorization: "Basic !", on: loop).wait() == .missingCredentials)
        // The cache stays bounded however many passwords are tried.
        for attempt in 0..<(BasicAuthenticator.cacheLimit + 5) {
            _ = try auth.verify(authorization: Self.basic("alice:wrong\(attempt)"), on: loop).wait()
        }
        #expect(auth.cachedVerdict(authorization: Self.basic("alice:wrong\(BasicAuthenticator.cacheLimit + 4)")) != nil)
        // After shutdown nothing is let through.
        auth.shutdown()
        #expect(try auth.verify(authorization: Self.basic("alice:other"), on: loop).wait() == .invalidCredentials)
    }

    #if TLS
    @Test func theExporterAnswers401WithoutTheRightCredentials() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let registry = MetricsRegistry()
        let rejected = try LabeledMetric<Counter>(registry.register(
            .counter, name: "finmon_exporter_connections_rejected_total", help: "h", labelNames: ["reason"]))
        let exporter = MetricsExporter(registry: registry, eventLoop: group.next(), events: EventQueue())
        defer { exporter.stop() }
        let web = WebConfig(path: "web.yml", tls: nil, basicAuthUsers: ["alice": Self.hash])
        let port = try #require(try exporter.start(host: "127.0.0.1", port: 0, webConfig: web))
        let client = try TestHTTPClient(port: port)
        let missing = try client.request("/metrics")
        #expect(missing.status == 401)
        #expect(missing.header("WWW-Authenticate")?.hasPrefix("Basic") == true)
        let wrong = try client.request("/", headers: [("Authorization", Self.basic("alice:nope"))])
        #expect(wrong.status == 401)
        // Same connection (kept alive): the right password is served, then served again from the cache.
        for _ in 0..<2 {
            let right = try client.request("/metrics", headers: [("Authorization", Self.basic("alice:s3cret"))])
            #expect(right.status == 200 && right.text.contains("finmon_exporter_connections_rejected_total"))
        }
        #expect(try client.request("/healthz").status == 401)  // everything is behind it
        #expect(rejected.child(["unauthorized"]).value == 3)
    }
    #endif
}
