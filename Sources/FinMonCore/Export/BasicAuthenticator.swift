import CFinMonCrypt
import Glibc
import NIOCore
import NIOPosix
import Synchronization

/// Checks HTTP basic authentication against a web config's `basic_auth_users` (user name to
/// bcrypt hash), as exporter-toolkit does.
///
/// bcrypt is slow on purpose (about 70 ms at cost 10), so a verdict is cached, keyed by a
/// hash of the presented user and password (two SipHash-1-3 digests under the process'
/// random seed; the password itself is never kept), and a Prometheus scraping every few
/// seconds pays bcrypt once. The bcrypt itself runs on one thread of its own, never the
/// event loop, so while a client tries passwords a cached scrape is answered at once. An
/// unknown user costs a bcrypt too, so the time of an answer does not tell which users exist.
///
///     let auth = BasicAuthenticator(users: web.basicAuthUsers)
///     auth.verify(authorization: head.headers.first(name: "Authorization"), on: loop)
///         .whenSuccess { verdict in ... }   // .allowed, .missingCredentials, .invalidCredentials
///     auth.shutdown()
public final class BasicAuthenticator: Sendable {
    public enum Verdict: Sendable, Equatable {
        case allowed
        /// No `Authorization: Basic ...` header, or one that is not base64 of `user:password`.
        case missingCredentials
        case invalidCredentials
    }

    /// Verdicts kept; past it one is dropped at random (an attacker's many wrong passwords
    /// cannot grow memory, and a working scrape is re-verified at worst once).
    static let cacheLimit = 100

    private struct CacheKey: Hashable {
        let first: Int
        let second: Int
    }

    private let users: [String: String]
    private let cache = Mutex<[CacheKey: Bool]>([:])
    private let pool: NIOThreadPool

    public init(users: [String: String]) {
        self.users = users
        pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
    }

    /// Joins the bcrypt thread.
    public func shutdown() {
        try? pool.syncShutdownGracefully()
    }

    /// Keeps the pool from its deinit after a fork took its thread away (see `MetricsExporter.abandon`).
    func abandon() {
        abandoned.store(true, ordering: .relaxed)
        _ = Unmanaged.passRetained(pool)
    }

    private let abandoned = Atomic<Bool>(false)

    deinit {
        // An exporter dropped without `stop` (a collector freed while serving) still ends
        // the thread; a no-op after `shutdown`.
        if !abandoned.load(ordering: .relaxed) { pool.shutdownGracefully { _ in } }
    }

    /// The verdict without bcrypt when there is one: no usable credentials, or a cached verdict.
    public func cachedVerdict(authorization: String?) -> Verdict? {
        guard let (user, password) = Self.credentials(authorization: authorization) else { return .missingCredentials }
        let key = Self.cacheKey(user: user, password: password)
        return cache.withLock { $0[key] }.map { $0 ? .allowed : .invalidCredentials }
    }

    /// The verdict, computed on the bcrypt thread when it is not cached; the future
    /// completes on `eventLoop`.
    public func verify(authorization: String?, on eventLoop: any EventLoop) -> EventLoopFuture<Verdict> {
        if let verdict = cachedVerdict(authorization: authorization) { return eventLoop.makeSucceededFuture(verdict) }
        guard let (user, password) = Self.credentials(authorization: authorization) else {
            return eventLoop.makeSucceededFuture(.missingCredentials)
        }
        let hash = users[user]
        return pool.runIfActive(eventLoop: eventLoop) { [self] () -> Verdict in
            // An unknown user is checked against a hash nobody's password matches: same cost.
            let matches = Self.bcryptMatches(password: password, hash: hash ?? Self.unknownUserHash) && hash != nil
            remember(Self.cacheKey(user: user, password: password), matches)
            return matches ? .allowed : .invalidCredentials
        }.recover { _ in .invalidCredentials }  // the pool was shut down: the exporter is stopping
    }

    private func remember(_ key: CacheKey, _ allowed: Bool) {
        cache.withLock { cache in
            if cache.count >= Self.cacheLimit, let victim = cache.keys.randomElement() { cache[victim] = nil }
            cache[key] = allowed
        }
    }

    private static func cacheKey(user: String, password: [UInt8]) -> CacheKey {
        func digest(_ domain: UInt8) -> Int {
            var hasher = Hasher()
            hasher.combine(domain)
            hasher.combine(user)
            hasher.combine(password.count)
            for byte in password { hasher.combine(byte) }
            return hasher.finalize()
        }
        return CacheKey(first: digest(1), second: digest(2))
    }

    /// A bcrypt hash (cost 10) of a random phrase that was then thrown away.
    static let unknownUserHash = "$2b$10$7ulMm5v76BEZL5lOnKjIyebG0SkAWC4E7tAz5dI4/s/O2COMezKPG"

    /// Whether `hash` is a bcrypt hash libxcrypt verifies: `$2a$`, `$2b$` or `$2y$`, a
    /// two-digit cost 04...31, then 53 characters of bcrypt's base64 (salt and digest).
    public static func isBcryptHash(_ hash: String) -> Bool {
        let bytes = Array(hash.utf8)
        guard bytes.count == 60, bytes[0] == UInt8(ascii: "$"), bytes[1] == UInt8(ascii: "2"),
              [UInt8(ascii: "a"), UInt8(ascii: "b"), UInt8(ascii: "y")].contains(bytes[2]),
              bytes[3] == UInt8(ascii: "$"), bytes[6] == UInt8(ascii: "$"),
              let cost = Int(String(decoding: bytes[4...5], as: UTF8.self)), (4...31).contains(cost) else { return false }
        return bytes[7...].allSatisfy { byte in
            byte == UInt8(ascii: ".") || byte == UInt8(ascii: "/") || (byte < 0x80 && Character(Unicode.Scalar(byte)).isLetter)
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
        }
    }

    /// libxcrypt's bcrypt of `password` with `hash`'s salt and cost, compared with `hash` in
    /// constant time. A password with a NUL byte never matches (C would cut it there).
    public static func bcryptMatches(password: [UInt8], hash: String) -> Bool {
        guard !password.contains(0), !hash.utf8.contains(0) else { return false }
        // crypt_data is 32 KiB: from the heap, zeroed as crypt_rn requires of a first use.
        guard let data = calloc(1, MemoryLayout<crypt_data>.size) else { return false }
        defer { free(data) }
        let output: UnsafeMutablePointer<CChar>? = (password + [0]).withUnsafeBufferPointer { phrase in
            phrase.withMemoryRebound(to: CChar.self) { phrase in
                crypt_rn(phrase.baseAddress, hash, data, Int32(MemoryLayout<crypt_data>.size))
            }
        }
        guard let output else { return false }
        let computed = Array(UnsafeRawBufferPointer(start: output, count: strlen(output)))
        let expected = Array(hash.utf8)
        // Every byte is looked at whatever differs: the time says nothing of where.
        var difference = UInt8(truncatingIfNeeded: computed.count ^ expected.count)
        for index in 0..<max(computed.count, expected.count) {
            let a = index < computed.count ? computed[index] : 0
            let b = index < expected.count ? expected[index] : 0
            difference |= a ^ b
        }
        return difference == 0
    }

    /// The user and password of an `Authorization: Basic <base64(user:password)>` header.
    static func credentials(authorization: String?) -> (String, [UInt8])? {
        guard let authorization else { return nil }
        let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "basic",
              let decoded = Base64.decode(parts[1].trimmingSpaces()),
              let colon = decoded.firstIndex(of: UInt8(ascii: ":")) else { return nil }
        guard let user = String(validating: decoded[..<colon], as: UTF8.self) else { return nil }
        return (user, Array(decoded[(colon + 1)...]))
    }
}
