import Glibc
import NIOCore
import NIOHTTP1

/// A Docker Engine API client for the few calls finmon makes (list, one-shot stats,
/// remove), over a unix socket or TCP. Works against Docker and against podman's
/// Docker-compatible service (`podman system service`).
///
/// Every future fails with a `DockerError` (transport failures, including the
/// timeout, come as `.transport(HTTPClientError)`).
public final class DockerClient: Sendable {
    public static let defaultSocketPath = "/var/run/docker.sock"
    /// Pinned rather than negotiated: 1.41 is served by Docker 20.10+ and by podman 4.x,
    /// and everything finmon reads exists there.
    public static let apiVersionPrefix = "/v1.41"
    public static let defaultTimeout: TimeAmount = .seconds(2)

    public let httpClient: HTTPClient
    public let endpoint: HTTPEndpoint
    public let timeout: TimeAmount

    public init(httpClient: HTTPClient, endpoint: HTTPEndpoint, timeout: TimeAmount = DockerClient.defaultTimeout) {
        self.httpClient = httpClient
        self.endpoint = endpoint
        self.timeout = timeout
    }

    /// Resolves the endpoint as `resolveEndpoint(configured:dockerHost:)` does, with
    /// `dockerHost` read from the process environment unless given.
    public convenience init(
        httpClient: HTTPClient,
        configured: String?,
        dockerHost: String? = DockerClient.dockerHostFromEnvironment(),
        timeout: TimeAmount = DockerClient.defaultTimeout
    ) throws(DockerError) {
        self.init(
            httpClient: httpClient,
            endpoint: try DockerClient.resolveEndpoint(configured: configured, dockerHost: dockerHost),
            timeout: timeout)
    }

    /// Picks the engine's address, first match wins:
    /// 1. `configured` (blank = absent): `unix:///path`, a bare absolute socket path,
    ///    `tcp://host:port`, `http://host:port`, `http+unix://<percent-encoded path>`, or a
    ///    docker-py `api.base_url`. docker-py reports every unix socket as
    ///    `http+docker://localhost` (the path is lost), so that form means "the local
    ///    socket": `dockerHost` when it names a unix socket, else the default socket.
    /// 2. `dockerHost` (the DOCKER_HOST variable; blank = absent).
    /// 3. `unix:///var/run/docker.sock`.
    public static func resolveEndpoint(configured: String?, dockerHost: String?) throws(DockerError) -> HTTPEndpoint {
        let defaultEndpoint = HTTPEndpoint.unix(path: defaultSocketPath)
        let host = nonBlank(dockerHost)
        if let configured = nonBlank(configured) {
            if configured.lowercased().hasPrefix("http+docker://") {
                if let host, let endpoint = try? parse(host), case .unix = endpoint {
                    return endpoint
                }
                return defaultEndpoint
            }
            return try parse(configured)
        }
        if let host {
            return try parse(host)
        }
        return defaultEndpoint
    }

    /// DOCKER_HOST from the process environment, nil when unset.
    public static func dockerHostFromEnvironment() -> String? {
        guard let value = getenv("DOCKER_HOST") else { return nil }
        return String(validatingCString: value)
    }

    // MARK: Calls

    /// `GET /_ping`: succeeds when the engine answers 2xx.
    func ping() -> EventLoopFuture<Void> {
        send(.GET, path: "/_ping", notFoundID: nil).map { _ in () }
    }

    /// `GET /v1.41/version`.
    public func version() -> EventLoopFuture<DockerVersion> {
        send(.GET, path: Self.apiVersionPrefix + "/version", notFoundID: nil)
            .flatMapThrowing { response in try DockerVersion(json: Self.parse(response.body)) }
    }

    /// `GET /v1.41/containers/json?all=1&filters=<JSON>`, e.g.
    /// `filters: ["label": ["finlab-sandbox"], "status": ["exited"]]`.
    public func listContainers(all: Bool = false, filters: [String: [String]] = [:]) -> EventLoopFuture<
        [ContainerSummary]
    > {
        var query = ["all=\(all ? 1 : 0)"]
        if !filters.isEmpty {
            let json = JSONValue.sortedObject(filters.map { ($0.key, .array($0.value.map(JSONValue.string))) })
            query.append("filters=" + PercentEncoding.encode(json.rendered))
        }
        let path = Self.apiVersionPrefix + "/containers/json?" + query.joined(separator: "&")
        return send(.GET, path: path, notFoundID: nil)
            .flatMapThrowing { response in try ContainerSummary.list(json: Self.parse(response.body)) }
    }

    /// `GET /v1.41/containers/{id}/stats?stream=false&one-shot=true`. A container that
    /// does not exist fails with `.notFound`; one that is not running may fail with `.noStats`.
    public func stats(id: String) -> EventLoopFuture<ContainerStatsSample> {
        guard let segment = Self.pathSegment(id) else {
            return failed(.invalidArgument(reason: "container id is empty"))
        }
        let path = Self.apiVersionPrefix + "/containers/\(segment)/stats?stream=false&one-shot=true"
        return send(.GET, path: path, notFoundID: id).flatMapErrorThrowing { error -> HTTPResponse in
            // podman 4.3 answers a stats query that races a container's exit with a bare
            // 500 (no body, so the message is the reason phrase): the container stopped,
            // the engine is fine.
            if case DockerError.engine(status: 500, let message) = error, message == "Internal Server Error" {
                throw DockerError.noStats(id: id)
            }
            throw error
        }.flatMapThrowing { response in
            guard response.body.contains(where: { !Self.isJSONWhitespace($0) }) else {
                throw DockerError.noStats(id: id)
            }
            return try ContainerStatsSample(json: Self.parse(response.body))
        }
    }

    /// `DELETE /v1.41/containers/{id}?force=1`. 404 fails with `.notFound`.
    public func remove(id: String, force: Bool = false) -> EventLoopFuture<Void> {
        guard let segment = Self.pathSegment(id) else {
            return failed(.invalidArgument(reason: "container id is empty"))
        }
        let path = Self.apiVersionPrefix + "/containers/\(segment)?force=\(force ? 1 : 0)"
        return send(.DELETE, path: path, notFoundID: id).map { _ in () }
    }

    // MARK: Plumbing

    private func send(_ method: HTTPMethod, path: String, notFoundID: String?) -> EventLoopFuture<HTTPResponse> {
        var headers = HTTPHeaders()
        headers.add(name: "Accept", value: "application/json")
        let request = HTTPRequest(endpoint: endpoint, method: method, path: path, headers: headers)
        return httpClient.execute(request, timeout: timeout)
            .flatMapErrorThrowing { error in
                throw DockerError.transport(error as? HTTPClientError ?? .io(reason: "\(error)"))
            }
            .flatMapThrowing { response in
                try Self.check(response, notFoundID: notFoundID)
                return response
            }
    }

    private func failed<Value>(_ error: DockerError) -> EventLoopFuture<Value> {
        httpClient.eventLoopGroup.any().makeFailedFuture(error)
    }

    static func check(_ response: HTTPResponse, notFoundID: String?) throws(DockerError) {
        guard !response.isSuccess else { return }
        let message = engineMessage(response)
        if response.statusCode == 404, let notFoundID {
            throw .notFound(id: notFoundID, message: message)
        }
        throw .engine(status: response.statusCode, message: message)
    }

    /// The engine's `{"message": ...}`, else the start of the body as text, else the reason phrase.
    static func engineMessage(_ response: HTTPResponse) -> String {
        if let message = (try? JSONParser.parse(response.body))?["message"]?.stringValue {
            return message
        }
        let text = String(decoding: response.body.prefix(512), as: UTF8.self)
        let shown = trimmed(text)
        return shown.isEmpty ? response.status.reasonPhrase : shown
    }

    static func parse(_ body: [UInt8]) throws(DockerError) -> JSONValue {
        do {
            return try JSONParser.parse(body)
        } catch {
            throw .decoding(reason: error.description)
        }
    }

    private static func pathSegment(_ id: String) -> String? {
        id.isEmpty ? nil : PercentEncoding.encode(id)
    }

    private static func isJSONWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    private static func parse(_ text: String) throws(DockerError) -> HTTPEndpoint {
        if text.hasPrefix("/") {
            return .unix(path: text)
        }
        let lowered = text.lowercased()
        if lowered.hasPrefix("http+unix://") {
            let encoded = String(text.dropFirst("http+unix://".count).prefix { $0 != "/" && $0 != "?" })
            guard let path = PercentEncoding.decode(encoded), path.hasPrefix("/") else {
                throw .invalidEndpoint(input: text, reason: "http+unix:// needs a percent-encoded absolute socket path")
            }
            return .unix(path: path)
        }
        if lowered.hasPrefix("ssh://") || lowered.hasPrefix("npipe://") {
            throw .invalidEndpoint(input: text, reason: "only unix://, tcp:// and http:// engines are supported")
        }
        do {
            return try HTTPEndpoint(parsing: text)
        } catch {
            if case .invalidEndpoint(_, let reason) = error {
                throw .invalidEndpoint(input: text, reason: reason)
            }
            throw .invalidEndpoint(input: text, reason: "\(error)")
        }
    }

    private static func trimmed(_ text: String) -> String {
        var slice = Substring(text)
        while let first = slice.first, first.isWhitespace { slice.removeFirst() }
        while let last = slice.last, last.isWhitespace { slice.removeLast() }
        return String(slice)
    }

    private static func nonBlank(_ text: String?) -> String? {
        guard let text else { return nil }
        let shown = trimmed(text)
        return shown.isEmpty ? nil : shown
    }
}
