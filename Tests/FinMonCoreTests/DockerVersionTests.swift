import FoundationEssentials
import Testing

@testable import FinMonCore

@Suite struct DockerVersionTests {
    @Test func podmanIsRecognisedFromItsComponents() throws {
        let version = try JSONDecoder().decode(DockerVersion.self, from: Data(PodmanFixtures.version.utf8))
        #expect(version.componentNames == ["Podman Engine", "Conmon", "OCI Runtime (runc)"])
        #expect(version.isPodman)
        #expect(version.os == "linux")
        #expect(version.arch == "amd64")
    }

    @Test func dockerEngineIsNotPodman() throws {
        let json =
            #"{"Version":"24.0.7","ApiVersion":"1.43","MinAPIVersion":"1.12","Components":[{"Name":"Engine"},{"Name":"containerd"}]}"#
        let version = try JSONDecoder().decode(DockerVersion.self, from: Data(json.utf8))
        #expect(version.apiVersion == "1.43")
        #expect(!version.isPodman)
    }

    @Test func everythingMissingStillDecodes() throws {
        let version = try JSONDecoder().decode(DockerVersion.self, from: Data(#"{"Components":null}"#.utf8))
        #expect(version == DockerVersion())
    }
}
