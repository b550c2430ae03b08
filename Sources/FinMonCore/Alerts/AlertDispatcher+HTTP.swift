import NIOHTTP1

/// The HTTP side of delivery: where a receiver is reached, the request a post makes, and
/// what an answer means for retrying.
extension AlertDispatcher {
    /// Where one receiver is reached: the URL as configured, its endpoint and request path.
    struct Target: Sendable, Equatable {
        let url: String
        let endpoint: HTTPEndpoint
        let path: String
    }

    enum Outcome {
        case delivered
        /// The receiver answered but refused the request; sending it again cannot help.
        case rejected(String)
        /// Unreachable, timed out or a server error: worth retrying.
        case failed(String)
    }

    static func post(_ target: Target, body: String) -> HTTPRequest {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        return HTTPRequest(endpoint: target.endpoint, method: .POST, path: target.path, headers: headers, body: Array(body.utf8))
    }

    static func outcome(of result: Result<HTTPResponse, any Error>) -> Outcome {
        switch result {
        case .success(let response):
            if response.isSuccess { return .delivered }
            let excerpt = String(decoding: response.body.prefix(200), as: UTF8.self)
            let text = "HTTP \(response.statusCode)" + (excerpt.isEmpty ? "" : ": \(excerpt)")
            // 408 and 429 say "later"; other 4xx say the request itself is wrong.
            if (400..<500).contains(response.statusCode) && response.statusCode != 408 && response.statusCode != 429 {
                return .rejected(text)
            }
            return .failed(text)
        case .failure(let error):
            return .failed("\(error)")
        }
    }
}
