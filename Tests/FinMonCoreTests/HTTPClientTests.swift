import NIOCore
import NIOHTTP1
import NIOPosix
import Testing

@testable import FinMonCore

@Suite struct HTTPClientTests {
    let client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton)

    private func expectFailure(
        _ result: FutureDeadline.Outcome<HTTPResponse>, _ expected: HTTPClientError,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(result.error as? HTTPClientError == expected, sourceLocation: sourceLocation)
    }

    @Test func getsAContentLengthJSONBodyOverAUnixSocket() async throws {
        let server = try await CannedHTTPServer.unix { _ in
            .http(headers: PodmanFixtures.jsonHeaders, body: PodmanFixtures.containersList)
        }
        defer { server.stop() }

        let request = HTTPRequest(endpoint: server.endpoint, path: "/v1.41/containers/json?all=1")
        let response = try await FutureDeadline.outcome(within: 10, client.execute(request, timeout: .seconds(5))).get()

        #expect(response.statusCode == 200)
        #expect(response.headers.first(name: "content-type") == "application/json")
        #expect(response.body == Array(PodmanFixtures.containersList.utf8))
        let seen = try #require(server.received.first)
        #expect(seen.requestLine == "GET /v1.41/containers/json?all=1 HTTP/1.1")
        #expect(seen.header("Host") == "localhost")
        #expect(seen.header("Connection") == "close")
        #expect(seen.header("User-Agent") == "finmon/\(FinMonVersion.string)")
        #expect(seen.header("Content-Length") == nil)
    }

    @Test func getsAContentLengthBodyOverTCPWithTheHostHeader() async throws {
        let server = try await CannedHTTPServer.tcp { _ in .http(body: "hello") }
        defer { server.stop() }
        guard case .tcp(_, let port) = server.endpoint else { throw FutureDeadline.Failure("not tcp") }

        let response = try await FutureDeadline.outcome(
            within: 10, client.execute(HTTPRequest(endpoint: server.endpoint, path: "/"), timeout: .seconds(5))
        ).get()

        #expect(response.body == Array("hello".utf8))
        #expect(server.received.first?.header("Host") == "127.0.0.1:\(port)")
    }

    @Test func reassemblesAChunkedBodySentInManyWrites() async throws {
        let server = try await CannedHTTPServer.tcp { _ in
            .chunked(headers: PodmanFixtures.jsonHeaders, body: PodmanFixtures.statsRunningFirst, chunkSize: 100)
        }
        defer { server.stop() }

        let response = try await FutureDeadline.outcome(
            within: 10, client.execute(HTTPRequest(endpoint: server.endpoint, path: "/stats"), timeout: .seconds(5))
        ).get()

        #expect(response.statusCode == 200)
        #expect(response.body == Array(PodmanFixtures.statsRunningFirst.utf8))
    }

    @Test func readsABodyFramedByConnectionClose() async throws {
        let server = try await CannedHTTPServer.unix { _ in
            .raw("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil-eof")
        }
        defer { server.stop() }

        let response = try await FutureDeadline.outcome(
            within: 10, client.execute(HTTPRequest(endpoint: server.endpoint, path: "/"), timeout: .seconds(5))
        ).get()

        #expect(response.body == Array("until-eof".utf8))
    }

    @Test func sendsTheBodyWithItsLength() async throws {
        let server = try await CannedHTTPServer.tcp { _ in .http(status: "202 Accepted", body: "") }
        defer { server.stop() }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        let payload = Array(#"[{"labels":{"alertname":"x"}}]"#.utf8)

        let response = try await FutureDeadline.outcome(
            within: 10,
            client.execute(
                HTTPRequest(
                    endpoint: server.endpoint, method: .POST, path: "/api/v2/alerts", headers: headers, body: payload),
                timeout: .seconds(5))
        ).get()

        #expect(response.statusCode == 202)
        #expect(response.isSuccess)
        let seen = try #require(server.received.first)
        #expect(seen.requestLine == "POST /api/v2/alerts HTTP/1.1")
        #expect(seen.header("Content-Length") == String(payload.count))
        #expect(seen.header("Content-Type") == "application/json")
        #expect(seen.body == payload)
    }

    @Test func nonSuccessStatusIsAResponseNotAnError() async throws {
        let server = try await CannedHTTPServer.unix { _ in .http(status: "500 Internal Server Error", body: "{}") }
        defer { server.stop() }

        let response = try await FutureDeadline.outcome(
            within: 10, client.execute(HTTPRequest(endpoint: server.endpoint, path: "/"), timeout: .seconds(5))
        ).get()

        #expect(response.statusCode == 500)
        #expect(!response.isSuccess)
    }

    @Test func garbageInsteadOfAStatusLineIsMalformed() async throws {
        let server = try await CannedHTTPServer.unix { _ in .raw("this is not http\r\n\r\n") }
        defer { server.stop() }

        let result = await FutureDeadline.outcome(
            within: 10, client.execute(HTTPRequest(endpoint: server.endpoint, path: "/"), timeout: .seconds(5)))

        guard case .malformedResponse(let reason)? = result.error as? HTTPClientError else {
            Issue.record("expected malformedResponse, got \(result)")
            return
        }
        #expect(!reason.isEmpty)
    }

    @Test func invalidChunkSizeIsMalformed() async throws {
        let server = try await CannedHTTPServer.tcp { _ in
            .raw("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n")
        }
        defer { server.stop() }

        let result = await FutureDeadline.outcome(
            within: 10, client.execute(HTTPRequest(endpoint: server.endpoint, path: "/"), timeout: .seconds(5)))

        guard case .malformedResponse? = result.error as? HTTPClientError else {
            Issue.record("expected malformedResponse, got \(result)")
            return
        }
    }

    @Test func bodyCutShortByTheServerFails() async throws {
        let server = try await CannedHTTPServer.unix { _ in
            .raw("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly-this")
        }
        defer { server.stop() }

        let result = await FutureDeadline.outcome(
            within: 10, client.execute(HTTPRequest(endpoint: server.endpoint, path: "/"), timeout: .seconds(5)))

        // The decoder sees EOF inside the declared body and reports it before the close.
        guard case .malformedResponse? = result.error as? HTTPClientError else {
            Issue.record("expected malformedResponse, got \(result)")
            return
        }
    }

    @Test func serverHangingUpWithoutAnswerIsConnectionClosed() async throws {
        let server = try await CannedHTTPServer.unix { _ in .hangUp }
        defer { server.stop() }

        let result = await FutureDeadline.outcome(
            within: 10, client.execute(HTTPRequest(endpoint: server.endpoint, path: "/"), timeout: .seconds(5)))

        expectFailure(result, .connectionClosed)
    }

    @Test func declaredLengthOverTheCapFailsBeforeReadingTheBody() async throws {
        let small = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, maxBodyBytes: 1024)
        let server = try await CannedHTTPServer.tcp { _ in .http(body: String(repeating: "x", count: 1025)) }
        defer { server.stop() }

        let result = await FutureDeadline.outcome(
            within: 10, small.execute(HTTPRequest(endpoint: server.endpoint, path: "/"), timeout: .seconds(5)))

        expectFailure(result, .bodyTooLarge(limit: 1024))
    }

    @Test func chunkedBodyGrowingOverTheCapFails() async throws {
        let small = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, maxBodyBytes: 1024)
        let server = try await CannedHTTPServer.tcp { _ in
            .chunked(body: String(repeating: "y", count: 4096), chunkSize: 300)
        }
        defer { server.stop() }

        let result = await FutureDeadline.outcome(
            within: 10, small.execute(HTTPRequest(endpoint: server.endpoint, path: "/"), timeout: .seconds(5)))

        expectFailure(result, .bodyTooLarge(limit: 1024))
    }

    @Test func bodyExactlyAtTheCapIsAccepted() async throws {
        let small = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, maxBodyBytes: 1024)
        let server = try await CannedHTTPServer.tcp { _ in
            .chunked(body: String(repeating: "z", count: 1024), chunkSize: 256)
        }
        defer { server.stop() }

        let response = try await FutureDeadline.outcome(
            within: 10, small.execute(HTTPRequest(endpoint: server.endpoint, path: "/"), timeout: .seconds(5))
        ).get()

        #expect(response.body.count == 1024)
    }

    @Test(arguments: [false, true])
    func silentServerTimesOutAndTheConnectionIsClosed(overUnixSocket: Bool) async throws {
        let server =
            overUnixSocket
            ? try await CannedHTTPServer.unix { _ in .silent } : try await CannedHTTPServer.tcp { _ in .silent }
        defer { server.stop() }

        let result = await FutureDeadline.outcome(
            within: 10, client.execute(HTTPRequest(endpoint: server.endpoint, path: "/"), timeout: .milliseconds(200)))

        expectFailure(result, .timeout)
        #expect(server.received.count == 1)
        #expect(await server.waitUntil { $0.closedConnections == 1 }, "client did not close the connection")
    }

    @Test func missingSocketFileIsConnectFailed() async {
        let endpoint = HTTPEndpoint.unix(path: CannedHTTPServer.uniqueSocketPath())

        let result = await FutureDeadline.outcome(
            within: 10, client.execute(HTTPRequest(endpoint: endpoint, path: "/_ping"), timeout: .seconds(5)))

        guard case .connectFailed(let reported, let reason)? = result.error as? HTTPClientError else {
            Issue.record("expected connectFailed, got \(result)")
            return
        }
        #expect(reported == endpoint.description)
        #expect(!reason.isEmpty)
    }

    @Test func closedTCPPortIsConnectFailed() async throws {
        // Take a port the kernel just handed out, then stop listening on it.
        let server = try await CannedHTTPServer.tcp { _ in .hangUp }
        let endpoint = server.endpoint
        await server.stopAndWait()

        let result = await FutureDeadline.outcome(
            within: 10, client.execute(HTTPRequest(endpoint: endpoint, path: "/"), timeout: .seconds(5)))

        guard case .connectFailed? = result.error as? HTTPClientError else {
            Issue.record("expected connectFailed, got \(result)")
            return
        }
    }

    @Test func headerInjectionIsRefusedBeforeConnecting() async throws {
        let server = try await CannedHTTPServer.unix { _ in .http(body: "") }
        defer { server.stop() }
        var headers = HTTPHeaders()
        headers.add(name: "X-Evil", value: "a\r\nInjected: yes")

        let result = await FutureDeadline.outcome(
            within: 10,
            client.execute(HTTPRequest(endpoint: server.endpoint, path: "/", headers: headers), timeout: .seconds(5)))

        guard case .invalidRequest? = result.error as? HTTPClientError else {
            Issue.record("expected invalidRequest, got \(result)")
            return
        }
        #expect(server.received.isEmpty)
    }

    @Test(arguments: ["relative", "/with space", "/with\nnewline", ""])
    func badPathsAreRefused(path: String) async {
        let result = await FutureDeadline.outcome(
            within: 10,
            client.execute(HTTPRequest(endpoint: .unix(path: "/nonexistent.sock"), path: path), timeout: .seconds(5)))

        guard case .invalidRequest? = result.error as? HTTPClientError else {
            Issue.record("expected invalidRequest, got \(result)")
            return
        }
    }

    @Test func blockingCallWorksOffTheEventLoop() async throws {
        let server = try await CannedHTTPServer.unix { _ in .http(body: "OK") }
        defer { server.stop() }
        let client = self.client

        // A thread-pool thread stands in for the C ABI caller's thread: not an event loop.
        let response = try await NIOThreadPool.singleton.runIfActive {
            try client.executeBlocking(HTTPRequest(endpoint: server.endpoint, path: "/_ping"), timeout: .seconds(5))
        }

        #expect(response.body == Array("OK".utf8))
    }

    @Test func blockingCallOnAnEventLoopThreadIsRefused() async throws {
        let client = self.client
        let loop = MultiThreadedEventLoopGroup.singleton.any()

        let outcome = try await loop.submit { () -> HTTPClientError? in
            do {
                _ = try client.executeBlocking(
                    HTTPRequest(endpoint: .unix(path: "/nonexistent.sock"), path: "/"), timeout: .seconds(1))
                return nil
            } catch {
                return error as? HTTPClientError
            }
        }.get()

        #expect(outcome == .blockingOnEventLoop)
    }

    @Test func waitingOffTheLoopOnAnyFutureIsRefusedOnALoop() async throws {
        let loop = MultiThreadedEventLoopGroup.singleton.any()
        let outcome = try await loop.submit { () -> Bool in
            let future = loop.makeSucceededFuture(1)
            do {
                _ = try HTTPClient.waitOffEventLoop(future)
                return false
            } catch {
                return error as? HTTPClientError == .blockingOnEventLoop
            }
        }.get()
        #expect(outcome)
    }

    @Test func nonPositiveTimeoutFailsAtOnce() async {
        let result = await FutureDeadline.outcome(
            within: 10,
            client.execute(HTTPRequest(endpoint: .unix(path: "/nonexistent.sock"), path: "/"), timeout: .zero))
        expectFailure(result, .timeout)
    }
}
