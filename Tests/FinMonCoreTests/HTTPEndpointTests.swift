import Testing

@testable import FinMonCore

@Suite struct HTTPEndpointTests {
    @Test(arguments: [
        ("unix:///var/run/docker.sock", HTTPEndpoint.unix(path: "/var/run/docker.sock")),
        ("UNIX:///run/podman/podman.sock", .unix(path: "/run/podman/podman.sock")),
        ("http://127.0.0.1:9093", .tcp(host: "127.0.0.1", port: 9093)),
        ("http://127.0.0.1:9093/", .tcp(host: "127.0.0.1", port: 9093)),
        ("http://alertmanager", .tcp(host: "alertmanager", port: 80)),
        ("tcp://docker-host:2376", .tcp(host: "docker-host", port: 2376)),
        ("tcp://docker-host", .tcp(host: "docker-host", port: 2375)),
        ("http://[::1]:9093", .tcp(host: "::1", port: 9093)),
        ("  http://localhost:8080 \n", .tcp(host: "localhost", port: 8080)),
    ])
    func parsesSupportedForms(input: String, expected: HTTPEndpoint) throws {
        #expect(try HTTPEndpoint(parsing: input) == expected)
    }

    @Test(arguments: [
        "",
        "localhost:9093",
        "/var/run/docker.sock",
        "https://alertmanager:9093",
        "ftp://host",
        "http+docker://localhost",
        "unix://var/run/docker.sock",
        "unix://",
        "unix:///",
        "http://",
        "http://:9093",
        "http://host:0",
        "http://host:65536",
        "http://host:99999999999999999999",
        "http://host:abc",
        "http://host:",
        "http://user:secret@host:9093",
        "http://ho st:9093",
        "http://host:9093?x=1",
        "http://[::1",
        "http://[::1]x",
        "http://host/alertmanager",
    ])
    func rejectsWithInvalidEndpoint(input: String) {
        #expect {
            try HTTPEndpoint(parsing: input)
        } throws: { error in
            guard let error = error as? HTTPClientError, case .invalidEndpoint(let echoed, let reason) = error else {
                return false
            }
            return echoed == input && !reason.isEmpty
        }
    }

    @Test func baseURLKeepsThePathPrefixWithoutTrailingSlash() throws {
        let parsed = try HTTPEndpoint.parseBaseURL("http://am.local:9093/alertmanager/")
        #expect(parsed.endpoint == .tcp(host: "am.local", port: 9093))
        #expect(parsed.basePath == "/alertmanager")

        let bare = try HTTPEndpoint.parseBaseURL("http://am.local:9093")
        #expect(bare.basePath == "")

        let unix = try HTTPEndpoint.parseBaseURL("unix:///tmp/x.sock")
        #expect(unix.endpoint == .unix(path: "/tmp/x.sock"))
        #expect(unix.basePath == "")
    }

    @Test func descriptionParsesBackToTheSameEndpoint() throws {
        for endpoint: HTTPEndpoint in [
            .unix(path: "/run/x.sock"), .tcp(host: "10.0.0.1", port: 1), .tcp(host: "::1", port: 9093),
        ] {
            #expect(try HTTPEndpoint(parsing: endpoint.description) == endpoint)
        }
        #expect(HTTPEndpoint.tcp(host: "::1", port: 9093).description == "http://[::1]:9093")
    }

    @Test func hostHeaderNamesTheTCPPeerAndAPlaceholderForSockets() {
        #expect(HTTPEndpoint.tcp(host: "127.0.0.1", port: 9093).hostHeader == "127.0.0.1:9093")
        #expect(HTTPEndpoint.tcp(host: "::1", port: 80).hostHeader == "[::1]:80")
        #expect(HTTPEndpoint.unix(path: "/x.sock").hostHeader == "localhost")
    }
}
