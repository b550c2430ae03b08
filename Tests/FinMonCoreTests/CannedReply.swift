/// What `CannedHTTPServer` does once it has read a full request.
enum CannedReply: Sendable {
    /// Writes these bytes (in order, each part flushed on its own) and closes.
    case parts([[UInt8]])
    /// Keeps the connection open and never answers.
    case silent
    /// Closes the connection without writing anything.
    case hangUp

    static func raw(_ text: String) -> CannedReply { .parts([Array(text.utf8)]) }

    /// A well-formed HTTP/1.1 response with Content-Length framing.
    static func http(
        status: String = "200 OK", headers: [(String, String)] = [], body: String
    ) -> CannedReply {
        http(status: status, headers: headers, body: Array(body.utf8))
    }

    static func http(status: String = "200 OK", headers: [(String, String)] = [], body: [UInt8]) -> CannedReply {
        var head = "HTTP/1.1 \(status)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(body.count)\r\n\r\n"
        return .parts([Array(head.utf8) + body])
    }

    /// A chunked response; the body is cut into chunks of `chunkSize` bytes, each
    /// written separately so the client sees the framing across reads.
    static func chunked(
        status: String = "200 OK", headers: [(String, String)] = [], body: String, chunkSize: Int
    ) -> CannedReply {
        var head = "HTTP/1.1 \(status)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "Transfer-Encoding: chunked\r\n\r\n"
        var parts: [[UInt8]] = [Array(head.utf8)]
        let bytes = Array(body.utf8)
        var start = 0
        while start < bytes.count {
            let end = min(start + chunkSize, bytes.count)
            parts.append(
                Array((String(end - start, radix: 16) + "\r\n").utf8) + bytes[start..<end] + Array("\r\n".utf8))
            start = end
        }
        parts.append(Array("0\r\n\r\n".utf8))
        return .parts(parts)
    }
}
