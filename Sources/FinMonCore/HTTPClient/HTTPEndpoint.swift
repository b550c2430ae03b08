/// Where a request goes: a TCP host and port, or a unix domain socket.
///
/// Only the transport is modelled; TLS is deliberately absent because finmon
/// talks to local daemons (Docker Engine) and to Alertmanager over plain HTTP.
public enum HTTPEndpoint: Sendable, Hashable, CustomStringConvertible {
    case tcp(host: String, port: Int)
    case unix(path: String)

    /// Parses `http://host[:port]`, `tcp://host[:port]` and `unix:///absolute/path`.
    /// A trailing `/` is accepted; any other path is rejected (use `parseBaseURL`
    /// when a path prefix is meaningful).
    public init(parsing input: String) throws(HTTPClientError) {
        let parsed = try HTTPEndpoint.parseBaseURL(input)
        guard parsed.basePath.isEmpty else {
            throw .invalidEndpoint(input: input, reason: "a path is not allowed here (\(parsed.basePath))")
        }
        self = parsed.endpoint
    }

    /// Like `init(parsing:)` but also returns the path after the authority, without a
    /// trailing `/` (so it can be prefixed to request paths), e.g. `http://am:9093/alertmanager`
    /// gives `(.tcp("am", 9093), "/alertmanager")`. For unix sockets the whole rest is the
    /// socket path and `basePath` is empty.
    public static func parseBaseURL(
        _ input: String
    ) throws(HTTPClientError) -> (endpoint: HTTPEndpoint, basePath: String) {
        let text = HTTPEndpoint.trimmed(input)
        guard let schemeEnd = HTTPEndpoint.schemeSeparator(in: text) else {
            throw .invalidEndpoint(
                input: input, reason: "expected a scheme such as http://, tcp:// or unix://")
        }
        let scheme = text[text.startIndex..<schemeEnd.lowerBound].lowercased()
        let rest = String(text[schemeEnd.upperBound...])
        switch scheme {
        case "unix":
            return (try parseUnixPath(rest, input: input), "")
        case "http":
            return try parseTCP(rest, defaultPort: 80, input: input)
        case "tcp":
            // Docker's convention for tcp:// without a port is the plaintext API port.
            return try parseTCP(rest, defaultPort: 2375, input: input)
        case "https":
            throw .invalidEndpoint(input: input, reason: "https is not supported (plain HTTP only)")
        default:
            throw .invalidEndpoint(
                input: input, reason: "unsupported scheme \"\(scheme)\" (use http://, tcp:// or unix://)")
        }
    }

    public var description: String {
        switch self {
        case .tcp(let host, let port):
            return host.contains(":") ? "http://[\(host)]:\(port)" : "http://\(host):\(port)"
        case .unix(let path):
            return "unix://\(path)"
        }
    }

    /// The value for the `Host` header: the daemons behind unix sockets only need one
    /// to be present (Go's server rejects HTTP/1.1 requests without it).
    var hostHeader: String {
        switch self {
        case .tcp(let host, let port):
            return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        case .unix:
            return "localhost"
        }
    }

    private static func parseUnixPath(_ rest: String, input: String) throws(HTTPClientError) -> HTTPEndpoint {
        guard rest.hasPrefix("/") else {
            throw .invalidEndpoint(input: input, reason: "unix socket path must be absolute (unix:///path)")
        }
        guard rest.count > 1 else {
            throw .invalidEndpoint(input: input, reason: "unix socket path is empty")
        }
        guard !rest.utf8.contains(0) else {
            throw .invalidEndpoint(input: input, reason: "unix socket path contains a NUL byte")
        }
        return .unix(path: rest)
    }

    private static func parseTCP(
        _ rest: String, defaultPort: Int, input: String
    ) throws(HTTPClientError) -> (endpoint: HTTPEndpoint, basePath: String) {
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        let authority = rest[rest.startIndex..<authorityEnd]
        var basePath = String(rest[authorityEnd...])
        if basePath.contains("?") || basePath.contains("#") {
            throw .invalidEndpoint(input: input, reason: "a query or fragment is not allowed")
        }
        while basePath.hasSuffix("/") { basePath.removeLast() }
        if authority.contains("@") {
            throw .invalidEndpoint(input: input, reason: "credentials in the URL are not supported")
        }

        let host: Substring
        let portText: Substring?
        if authority.hasPrefix("[") {
            // IPv6 literal: [addr] or [addr]:port
            guard let close = authority.firstIndex(of: "]") else {
                throw .invalidEndpoint(input: input, reason: "unterminated IPv6 address")
            }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let afterClose = authority[authority.index(after: close)...]
            if afterClose.isEmpty {
                portText = nil
            } else if afterClose.hasPrefix(":") {
                portText = afterClose.dropFirst()
            } else {
                throw .invalidEndpoint(input: input, reason: "unexpected text after the IPv6 address")
            }
        } else if let colon = authority.firstIndex(of: ":") {
            host = authority[authority.startIndex..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
            portText = nil
        }
        guard !host.isEmpty else {
            throw .invalidEndpoint(input: input, reason: "host is empty")
        }
        let isIPv6 = authority.hasPrefix("[")
        let hostIsValid = host.unicodeScalars.allSatisfy { scalar in
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", ".", "-", "_": return true
            case ":", "%": return isIPv6
            default: return false
            }
        }
        guard hostIsValid else {
            throw .invalidEndpoint(input: input, reason: "host contains invalid characters")
        }
        var port = defaultPort
        if let portText {
            guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy({ $0.isASCII && $0.isNumber }),
                let value = Int(portText), (1...65535).contains(value)
            else {
                throw .invalidEndpoint(input: input, reason: "port must be a number from 1 to 65535")
            }
            port = value
        }
        return (.tcp(host: String(host), port: port), basePath)
    }

    /// Where the first "://" is in `text`. Not `firstRange(of:)`: that one is
    /// _StringProcessing's, and using it links that module and its regex parser (~1 MB of
    /// code) into the library.
    private static func schemeSeparator(in text: String) -> Range<String.Index>? {
        var from = text.startIndex
        while let colon = text[from...].firstIndex(of: ":") {
            if text[colon...].hasPrefix("://") { return colon..<text.index(colon, offsetBy: 3) }
            from = text.index(after: colon)
        }
        return nil
    }

    private static func trimmed(_ text: String) -> String {
        var slice = Substring(text)
        while let first = slice.first, first.isWhitespace { slice.removeFirst() }
        while let last = slice.last, last.isWhitespace { slice.removeLast() }
        return String(slice)
    }
}
