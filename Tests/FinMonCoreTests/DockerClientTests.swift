import Glibc
import NIOCore
import NIOPosix
import Testing

@testable import FinMonCore

@Suite struct DockerClientTests {
    let http = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton)

    /// An engine double over a unix socket answering by request line, with podman's replies.
    private func podmanDouble(
        _ route: @escaping @Sendable (String) -> CannedReply? = { _ in nil }
    ) async throws -> CannedHTTPServer {
        try await CannedHTTPServer.unix { request in
            if let reply = route(request.requestLine) { return reply }
            let headers = PodmanFixtures.jsonHeaders
            switch request.requestLine {
            case "GET /_ping HTTP/1.1":
                return .http(headers: [("Content-Type", "text/plain; charset=utf-8")], body: "OK")
            case "GET /v1.41/version HTTP/1.1":
                return .http(headers: headers, body: PodmanFixtures.version)
            case let line where line.hasPrefix("GET /v1.41/containers/json?"):
                return .http(headers: headers, body: PodmanFixtures.containersList)
            case let line where line.hasPrefix("DELETE /v1.41/containers/nonexistent-fmdock?"):
                return .http(status: "404 Not Found", headers: headers, body: PodmanFixtures.removeNotFound)
            case let line where line.hasPrefix("DELETE /v1.41/containers/"):
                return .parts([Array("HTTP/1.1 204 No Content\r\nApi-Version: 1.41\r\n\r\n".utf8)])
            default:
                return .http(status: "404 Not Found", headers: headers, body: #"{"message":"page not found"}"#)
            }
        }
    }

    private func docker(_ server: CannedHTTPServer, timeout: TimeAmount = DockerClient.defaultTimeout) -> DockerClient {
        DockerClient(httpClient: http, endpoint: server.endpoint, timeout: timeout)
    }

    // MARK: Endpoint resolution

    @Test(
        arguments: [
            // (configured, DOCKER_HOST, expected)
            (nil, nil, HTTPEndpoint.unix(path: "/var/run/docker.sock")),
            ("", "  ", .unix(path: "/var/run/docker.sock")),
            (nil, "unix:///run/podman/podman.sock", .unix(path: "/run/podman/podman.sock")),
            (nil, "tcp://10.1.2.3:2376", .tcp(host: "10.1.2.3", port: 2376)),
            ("unix:///tmp/engine.sock", "tcp://10.1.2.3:2376", .unix(path: "/tmp/engine.sock")),
            ("/tmp/engine.sock", nil, .unix(path: "/tmp/engine.sock")),
            ("http://127.0.0.1:2375", nil, .tcp(host: "127.0.0.1", port: 2375)),
            ("http+unix://%2Frun%2Fuser%2F0%2Fpodman.sock", nil, .unix(path: "/run/user/0/podman.sock")),
            // docker-py's base_url for any unix socket: the path is gone, so the local socket it came from.
            ("http+docker://localhost", nil, .unix(path: "/var/run/docker.sock")),
            ("http+docker://localunixsocket", nil, .unix(path: "/var/run/docker.sock")),
            ("http+docker://localhost", "unix:///run/podman/podman.sock", .unix(path: "/run/podman/podman.sock")),
            ("http+docker://localhost", "tcp://10.1.2.3:2376", .unix(path: "/var/run/docker.sock")),
        ] as [(String?, String?, HTTPEndpoint)])
    func resolvesTheEndpoint(configured: String?, dockerHost: String?, expected: HTTPEndpoint) throws {
        #expect(try DockerClient.resolveEndpoint(configured: configured, dockerHost: dockerHost) == expected)
    }

    @Test(
        arguments: [
            ("ssh://user@host", nil),
            ("npipe:////./pipe/docker_engine", nil),
            ("https://host:2376", nil),
            ("unix://relative.sock", nil),
            ("http+unix://%ZZ", nil),
            (nil, "not a url"),
        ] as [(String?, String?)])
    func rejectsUnusableEndpoints(configured: String?, dockerHost: String?) {
        #expect {
            try DockerClient.resolveEndpoint(configured: configured, dockerHost: dockerHost)
        } throws: { error in
            guard let error = error as? DockerError, case .invalidEndpoint(let input, let reason) = error else {
                return false
            }
            return input == (configured ?? dockerHost) && !reason.isEmpty
        }
    }

    @Test func convenienceInitUsesTheResolvedEndpointAndTimeout() throws {
        let client = try DockerClient(
            httpClient: http, configured: "http+docker://localhost", dockerHost: "unix:///x/engine.sock",
            timeout: .milliseconds(750))
        #expect(client.endpoint == .unix(path: "/x/engine.sock"))
        #expect(client.timeout == .milliseconds(750))
        #expect(DockerClient.defaultTimeout == .seconds(2))
    }

    // MARK: Calls against a podman double

    @Test func pingAndVersionIdentifyPodman() async throws {
        let server = try await podmanDouble()
        defer { server.stop() }
        let client = docker(server)

        try await FutureDeadline.outcome(within: 10, client.ping()).get()
        let version = try await FutureDeadline.outcome(within: 10, client.version()).get()

        #expect(version.apiVersion == "1.41")
        #expect(version.minAPIVersion == "1.24")
        #expect(version.version == "4.3.1")
        #expect(version.isPodman)
        #expect(server.received.map(\.requestLine) == ["GET /_ping HTTP/1.1", "GET /v1.41/version HTTP/1.1"])
    }

    @Test func listSendsAllAndURLEncodedJSONFilters() async throws {
        let server = try await podmanDouble()
        defer { server.stop() }

        let containers = try await FutureDeadline.outcome(
            within: 10,
            docker(server).listContainers(all: true, filters: ["status": ["exited"], "label": ["finlab-sandbox"]])
        ).get()

        // {"label":["finlab-sandbox"],"status":["exited"]} with sorted keys, percent-encoded.
        #expect(
            server.received.first?.requestLine
                == "GET /v1.41/containers/json?all=1&filters=%7B%22label%22%3A%5B%22finlab-sandbox%22%5D%2C%22status%22%3A%5B%22exited%22%5D%7D HTTP/1.1"
        )
        #expect(server.received.first?.header("Accept") == "application/json")
        #expect(containers.count == 2)
        let running = try #require(containers.first)
        #expect(running.id == "b6b02bd0f87669fe00f8bbc9fba394e687e17229d4648d0e80e31e1e484ab4aa")
        #expect(running.names == ["/fmdock-running"])
        #expect(running.name == "fmdock-running")
        #expect(running.labels == ["finlab-sandbox": "1", "fmdock": "1"])
        #expect(running.state == "running")
        #expect(running.status == "Up 3 seconds")
        #expect(containers.last?.state == "exited")
        #expect(containers.last?.status == "Exited (3) 3 seconds ago")
    }

    @Test func listWithoutFiltersSendsNoFilterParameter() async throws {
        let server = try await podmanDouble()
        defer { server.stop() }

        _ = try await FutureDeadline.outcome(within: 10, docker(server).listContainers()).get()

        #expect(server.received.first?.requestLine == "GET /v1.41/containers/json?all=0 HTTP/1.1")
    }

    @Test func statsReadsAChunkedPodmanReply() async throws {
        let server = try await podmanDouble { line in
            line == "GET /v1.41/containers/b6b02bd0f876/stats?stream=false&one-shot=true HTTP/1.1"
                ? .chunked(
                    headers: [("Api-Version", "1.41")], body: PodmanFixtures.statsRunningFirst, chunkSize: 1 << 20)
                : nil
        }
        defer { server.stop() }

        let sample = try await FutureDeadline.outcome(within: 10, docker(server).stats(id: "b6b02bd0f876")).get()

        #expect(sample.id == "b6b02bd0f87669fe00f8bbc9fba394e687e17229d4648d0e80e31e1e484ab4aa")
        #expect(sample.name == "fmdock-running")
        #expect(sample.cpuTotalUsage == 2_316_156_793)
        #expect(sample.systemCPUUsage == 328_738_355_079)
        #expect(sample.onlineCPUs == 2)
        #expect(sample.perCPUUsage == [492_951_702, 1_823_205_091])
        #expect(sample.memoryUsage == 417_792)
        #expect(sample.memoryLimit == 25_276_502_016)
    }

    @Test func twoRealSamplesGiveTheCPUPercentDockerWouldShow() async throws {
        let replies = [PodmanFixtures.statsRunningFirst, PodmanFixtures.statsRunningSecond]
        // A fresh double per sample keeps the replies in order without shared counters.
        var calculator = ContainerStatsCalculator()
        var usages: [ContainerStatsCalculator.Usage] = []
        for reply in replies {
            let double = try await CannedHTTPServer.unix { _ in .chunked(body: reply, chunkSize: 512) }
            defer { double.stop() }
            let sample = try await FutureDeadline.outcome(within: 10, docker(double).stats(id: "fmdock-running")).get()
            usages.append(calculator.record(id: "fmdock-running", sample: sample))
        }

        #expect(usages[0].cpuPercent == nil)
        // (2920100747 - 2316156793) / (330669065994 - 328738355079) * 2 * 100
        let expected = 603_943_954.0 / 1_930_710_915.0 * 2.0 * 100.0
        let cpu = try #require(usages[1].cpuPercent)
        #expect(abs(cpu - expected) < 1e-9)
        #expect(abs(cpu - 62.5618) < 1e-3)
        // podman on cgroup v1 reports no memory_stats.stats: usage is taken as is.
        #expect(usages[1].memoryUsageBytes == 417_792)
        #expect(usages[1].memoryLimitBytes == 25_276_502_016)
    }

    @Test func emptyStatsBodyOfAStoppedContainerIsNoStats() async throws {
        let server = try await podmanDouble { line in
            line.contains("/stats?") ? .chunked(body: PodmanFixtures.statsExited, chunkSize: 16) : nil
        }
        defer { server.stop() }

        let result = await FutureDeadline.outcome(within: 10, docker(server).stats(id: "fmdock-exited"))

        #expect(result.error as? DockerError == .noStats(id: "fmdock-exited"))
    }

    @Test func aBare500FromStatsRacingAnExitIsNoStatsButA500WithAMessageIsAnError() async throws {
        let bare = try await podmanDouble { line in
            line.contains("/stats?") ? .http(status: "500 Internal Server Error", body: []) : nil
        }
        defer { bare.stop() }
        let raced = await FutureDeadline.outcome(within: 10, docker(bare).stats(id: "exiting"))
        #expect(raced.error as? DockerError == .noStats(id: "exiting"))

        let failing = try await podmanDouble { line in
            line.contains("/stats?") ? .http(status: "500 Internal Server Error", body: Array(#"{"message":"storage broken"}"#.utf8)) : nil
        }
        defer { failing.stop() }
        let broken = await FutureDeadline.outcome(within: 10, docker(failing).stats(id: "c"))
        #expect(broken.error as? DockerError == .engine(status: 500, message: "storage broken"))
    }

    @Test func statsOfAMissingContainerIsNotFound() async throws {
        let server = try await podmanDouble { line in
            line.contains("/stats?")
                ? .http(
                    status: "404 Not Found",
                    body: #"{"cause":"no such container","message":"no such container","response":404}"#)
                : nil
        }
        defer { server.stop() }

        let result = await FutureDeadline.outcome(within: 10, docker(server).stats(id: "gone"))

        #expect(result.error as? DockerError == .notFound(id: "gone", message: "no such container"))
    }

    @Test func removeWithForceSendsDeleteAndAccepts204() async throws {
        let server = try await podmanDouble()
        defer { server.stop() }

        try await FutureDeadline.outcome(within: 10, docker(server).remove(id: "ed56724b8e14", force: true)).get()
        try await FutureDeadline.outcome(within: 10, docker(server).remove(id: "ed56724b8e14")).get()

        #expect(
            server.received.map(\.requestLine) == [
                "DELETE /v1.41/containers/ed56724b8e14?force=1 HTTP/1.1",
                "DELETE /v1.41/containers/ed56724b8e14?force=0 HTTP/1.1",
            ])
    }

    @Test func removeOfAMissingContainerIsNotFoundWithTheEngineMessage() async throws {
        let server = try await podmanDouble()
        defer { server.stop() }

        let result = await FutureDeadline.outcome(
            within: 10, docker(server).remove(id: "nonexistent-fmdock", force: true))

        #expect(
            result.error as? DockerError
                == .notFound(
                    id: "nonexistent-fmdock",
                    message: #"no container with name or ID "nonexistent-fmdock" found: no such container"#))
    }

    @Test func containerIDsArePercentEncodedIntoThePath() async throws {
        let server = try await podmanDouble()
        defer { server.stop() }

        try await FutureDeadline.outcome(within: 10, docker(server).remove(id: "../images/x y", force: true)).get()

        #expect(server.received.first?.requestLine == "DELETE /v1.41/containers/..%2Fimages%2Fx%20y?force=1 HTTP/1.1")
    }

    @Test func emptyContainerIDIsRefused() async throws {
        let client = DockerClient(httpClient: http, endpoint: .unix(path: "/nonexistent.sock"))
        let statsResult = await FutureDeadline.outcome(within: 10, client.stats(id: ""))
        let removeResult = await FutureDeadline.outcome(within: 10, client.remove(id: "", force: true))
        guard case .invalidArgument? = statsResult.error as? DockerError,
            case .invalidArgument? = removeResult.error as? DockerError
        else {
            Issue.record("expected invalidArgument, got \(statsResult) and \(removeResult)")
            return
        }
    }

    @Test func engineErrorCarriesStatusAndMessage() async throws {
        let server = try await podmanDouble { line in
            line.contains("/containers/json")
                ? .http(status: "500 Internal Server Error", body: #"{"message":"database is locked"}"#) : nil
        }
        defer { server.stop() }

        let result = await FutureDeadline.outcome(within: 10, docker(server).listContainers(all: true))

        #expect(result.error as? DockerError == .engine(status: 500, message: "database is locked"))
    }

    @Test func engineErrorWithoutJSONKeepsTheBodyText() async throws {
        let server = try await podmanDouble { line in
            line.hasPrefix("DELETE") ? .http(status: "409 Conflict", body: "container is running\n") : nil
        }
        defer { server.stop() }

        let result = await FutureDeadline.outcome(within: 10, docker(server).remove(id: "abc", force: false))

        #expect(result.error as? DockerError == .engine(status: 409, message: "container is running"))
    }

    @Test func notFoundOnAListIsAnEngineErrorNotAContainerError() async throws {
        let server = try await podmanDouble { line in
            line.contains("/containers/json") ? .http(status: "404 Not Found", body: "") : nil
        }
        defer { server.stop() }

        let result = await FutureDeadline.outcome(within: 10, docker(server).listContainers())

        #expect(result.error as? DockerError == .engine(status: 404, message: "Not Found"))
    }

    @Test(arguments: [#"{"not":"a list"}"#, "", "[{\"Names\":[\"/no-id\"]}]", "[{\"Id\":"])
    func unexpectedListJSONIsADecodingError(body: String) async throws {
        let server = try await podmanDouble { line in
            line.contains("/containers/json") ? .http(body: body) : nil
        }
        defer { server.stop() }

        let result = await FutureDeadline.outcome(within: 10, docker(server).listContainers())

        guard case .decoding? = result.error as? DockerError else {
            Issue.record("expected decoding, got \(result)")
            return
        }
    }

    @Test func silentEngineTimesOutAsATransportError() async throws {
        let server = try await CannedHTTPServer.unix { _ in .silent }
        defer { server.stop() }

        let result = await FutureDeadline.outcome(
            within: 10, docker(server, timeout: .milliseconds(200)).listContainers())

        #expect(result.error as? DockerError == .transport(.timeout))
    }

    @Test func missingSocketIsATransportConnectFailure() async {
        let client = DockerClient(httpClient: http, endpoint: .unix(path: CannedHTTPServer.uniqueSocketPath()))

        let result = await FutureDeadline.outcome(within: 10, client.ping())

        guard case .transport(.connectFailed)? = result.error as? DockerError else {
            Issue.record("expected transport(connectFailed), got \(result)")
            return
        }
    }

    @Test func malformedEngineReplyIsATransportError() async throws {
        let server = try await CannedHTTPServer.unix { _ in .raw("HTTP/1.1 2OO OK\r\n\r\n") }
        defer { server.stop() }

        let result = await FutureDeadline.outcome(within: 10, docker(server).ping())

        guard case .transport(.malformedResponse)? = result.error as? DockerError else {
            Issue.record("expected transport(malformedResponse), got \(result)")
            return
        }
    }

    // MARK: Live engine

    /// Runs against the real engine scripts/test.sh starts (`podman system service`) and
    /// names in FINMON_TEST_DOCKER_HOST, with the running container it names in
    /// FINMON_TEST_LIVE_CONTAINER; it fails rather than skips without them. Read-only
    /// apart from removing a name that does not exist.
    @Test func liveEngineAnswersEveryCall() async throws {
        guard let host = getenv("FINMON_TEST_DOCKER_HOST").flatMap({ String(validatingCString: $0) }) else {
            Issue.record("FINMON_TEST_DOCKER_HOST is not set: run the tests with scripts/test.sh, which starts podman")
            return
        }
        let client = try DockerClient(httpClient: http, configured: host, dockerHost: nil, timeout: .seconds(10))

        try await FutureDeadline.outcome(within: 30, client.ping()).get()
        let version = try await FutureDeadline.outcome(within: 30, client.version()).get()
        #expect(version.apiVersion != nil)
        let all = try await FutureDeadline.outcome(within: 30, client.listContainers(all: true)).get()
        let running = try await FutureDeadline.outcome(
            within: 30, client.listContainers(filters: ["status": ["running"]])
        ).get()
        #expect(running.allSatisfy { $0.state == "running" })
        #expect(all.count >= running.count)
        // The stats calls go to the container scripts/test.sh started for this test: any other
        // running container may stop between the list and the stats.
        guard let live = getenv("FINMON_TEST_LIVE_CONTAINER").flatMap({ String(validatingCString: $0) }) else {
            Issue.record("FINMON_TEST_LIVE_CONTAINER is not set: run the tests with scripts/test.sh")
            return
        }
        #expect(running.contains { $0.id == live })
        var calculator = ContainerStatsCalculator()
        let one = try await FutureDeadline.outcome(within: 30, client.stats(id: live)).get()
        let two = try await FutureDeadline.outcome(within: 30, client.stats(id: live)).get()
        _ = calculator.record(id: live, sample: one)
        let usage = calculator.record(id: live, sample: two)
        #expect(one.cpuTotalUsage != nil)
        #expect(usage.memoryUsageBytes != nil)
        let missing = await FutureDeadline.outcome(
            within: 30, client.remove(id: "finmon-no-such-container", force: true))
        guard case .notFound? = missing.error as? DockerError else {
            Issue.record("expected notFound, got \(missing)")
            return
        }
    }
}
