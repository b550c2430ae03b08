import Testing

@testable import FinMonCore

@Suite struct DockerVersionTests {
    @Test func podmanIsRecognisedFromItsComponents() throws {
        let version = try DockerVersion(json: JSONParser.parse(PodmanFixtures.version))
        #expect(version.componentNames == ["Podman Engine", "Conmon", "OCI Runtime (runc)"])
        #expect(version.isPodman)
        #expect(version.os == "linux")
        #expect(version.arch == "amd64")
    }

    @Test func dockerEngineIsNotPodman() throws {
        let json =
            #"{"Version":"24.0.7","ApiVersion":"1.43","MinAPIVersion":"1.12","Components":[{"Name":"Engine"},{"Name":"containerd"}]}"#
        let version = try DockerVersion(json: JSONParser.parse(json))
        #expect(version.apiVersion == "1.43")
        #expect(!version.isPodman)
    }

    @Test func everythingMissingStillDecodes() throws {
        let version = try DockerVersion(json: JSONParser.parse(#"{"Components":null}"#))
        #expect(version == DockerVersion())
    }

    @Test func aNonObjectFailsToDecode() {
        #expect(throws: DockerError.decoding(reason: "the version reply is not a JSON object")) {
            try DockerVersion(json: JSONParser.parse("[]"))
        }
    }
}
