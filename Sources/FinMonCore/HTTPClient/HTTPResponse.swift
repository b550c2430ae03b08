import NIOHTTP1

/// A complete response: the body is fully read (and de-chunked) before the
/// future succeeds.
public struct HTTPResponse: Sendable {
    public var status: HTTPResponseStatus
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: HTTPResponseStatus, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public var statusCode: Int { Int(status.code) }

    public var isSuccess: Bool { (200..<300).contains(statusCode) }
}
