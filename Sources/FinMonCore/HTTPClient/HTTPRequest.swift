import NIOHTTP1

/// One outgoing request. `path` is the origin-form target including any query
/// (`/v1.41/containers/json?all=1`); the client adds `Host`, `Content-Length`,
/// `Connection: close` and `User-Agent` unless they are already in `headers`.
public struct HTTPRequest: Sendable {
    public var endpoint: HTTPEndpoint
    public var method: HTTPMethod
    public var path: String
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(
        endpoint: HTTPEndpoint,
        method: HTTPMethod = .GET,
        path: String,
        headers: HTTPHeaders = HTTPHeaders(),
        body: [UInt8] = []
    ) {
        self.endpoint = endpoint
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
    }

    /// Refuses what would corrupt the request line or header block, so that a bad
    /// path or header never reaches the wire (header injection, a split request line).
    func validate() throws(HTTPClientError) {
        guard path.hasPrefix("/") else {
            throw .invalidRequest(reason: "path must start with \"/\" (got \"\(path)\")")
        }
        if path.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F }) {
            throw .invalidRequest(reason: "path contains spaces or control characters")
        }
        for (name, value) in headers {
            let nameIsToken =
                !name.isEmpty
                && name.unicodeScalars.allSatisfy { scalar in
                    scalar.value > 0x20 && scalar.value < 0x7F && !":\"(),/;<=>?@[\\]{}".unicodeScalars.contains(scalar)
                }
            guard nameIsToken else {
                throw .invalidRequest(reason: "invalid header name \"\(name)\"")
            }
            if value.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) {
                throw .invalidRequest(reason: "header \"\(name)\" has a line break or NUL in its value")
            }
        }
    }

    /// The head as sent: caller headers plus the framing and connection headers.
    func wireHead() -> HTTPRequestHead {
        var headers = self.headers
        if !headers.contains(name: "host") {
            headers.add(name: "Host", value: endpoint.hostHeader)
        }
        if !headers.contains(name: "user-agent") {
            headers.add(name: "User-Agent", value: "finmon/\(FinMonVersion.string)")
        }
        // Our own framing wins: the body we send is exactly `body`.
        headers.remove(name: "content-length")
        headers.remove(name: "transfer-encoding")
        if !body.isEmpty || method == .POST || method == .PUT || method == .PATCH {
            headers.add(name: "Content-Length", value: String(body.count))
        }
        // One request per connection keeps the client free of pooling state.
        headers.replaceOrAdd(name: "Connection", value: "close")
        return HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: headers)
    }
}
