/// Failures of Docker Engine API calls. Transport problems (including the
/// request timeout) arrive wrapped as `.transport`.
public enum DockerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The configured endpoint (or DOCKER_HOST) could not be understood.
    case invalidEndpoint(input: String, reason: String)
    /// A call argument cannot be sent (empty container id, ...).
    case invalidArgument(reason: String)
    /// The engine could not be reached or the HTTP exchange failed.
    case transport(HTTPClientError)
    /// 404 for a named container: it does not exist (any more).
    case notFound(id: String, message: String)
    /// Any other non-2xx answer; `message` is the engine's `{"message": ...}` when present.
    case engine(status: Int, message: String)
    /// The engine answered 2xx with an empty stats body: podman does this for a
    /// container that is not running.
    case noStats(id: String)
    /// A 2xx body that is not the JSON expected.
    case decoding(reason: String)

    public var description: String {
        switch self {
        case .invalidEndpoint(let input, let reason):
            return "invalid Docker endpoint \"\(input)\": \(reason)"
        case .invalidArgument(let reason):
            return "invalid argument: \(reason)"
        case .transport(let error):
            return "Docker Engine unreachable: \(error)"
        case .notFound(let id, let message):
            return "container \(id) not found: \(message)"
        case .engine(let status, let message):
            return "Docker Engine error \(status): \(message)"
        case .noStats(let id):
            return "no stats for container \(id) (not running?)"
        case .decoding(let reason):
            return "unexpected Docker Engine reply: \(reason)"
        }
    }
}
