import NIOCore

/// Every way an outgoing request can fail. The futures of `HTTPClient` fail with
/// this type only, so callers can switch on it instead of on NIO's error zoo.
public enum HTTPClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The endpoint string could not be understood (`input` is what was given).
    case invalidEndpoint(input: String, reason: String)
    /// The request cannot be put on the wire as given (bad path, header with CR/LF, ...).
    case invalidRequest(reason: String)
    /// Nothing accepted the connection: refused, socket file missing, unresolvable host.
    case connectFailed(endpoint: String, reason: String)
    /// The deadline (connect + full response) passed; the connection was closed.
    case timeout
    /// The peer's bytes are not a valid HTTP/1.1 response.
    case malformedResponse(reason: String)
    /// The response body is larger than the client's cap.
    case bodyTooLarge(limit: Int)
    /// The peer closed the connection before the response was complete.
    case connectionClosed
    /// A socket error after the connection was made.
    case io(reason: String)
    /// A blocking call was made on an event loop thread, where it would deadlock.
    case blockingOnEventLoop

    public var description: String {
        switch self {
        case .invalidEndpoint(let input, let reason):
            return "invalid endpoint \"\(input)\": \(reason)"
        case .invalidRequest(let reason):
            return "invalid request: \(reason)"
        case .connectFailed(let endpoint, let reason):
            return "cannot connect to \(endpoint): \(reason)"
        case .timeout:
            return "request timed out"
        case .malformedResponse(let reason):
            return "malformed HTTP response: \(reason)"
        case .bodyTooLarge(let limit):
            return "response body exceeds the limit of \(limit) bytes"
        case .connectionClosed:
            return "connection closed before the response was complete"
        case .io(let reason):
            return "I/O error: \(reason)"
        case .blockingOnEventLoop:
            return "blocking HTTP call made on an event loop thread"
        }
    }
}
