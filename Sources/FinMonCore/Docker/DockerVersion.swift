/// The parts of `GET /version` worth logging: which engine (Docker or podman's
/// compat service) and which API range it speaks.
public struct DockerVersion: Sendable, Equatable, Decodable {
    public var version: String?
    public var apiVersion: String?
    public var minAPIVersion: String?
    public var os: String?
    public var arch: String?
    public var kernelVersion: String?
    /// Names from `Components`, e.g. "Engine" (Docker) or "Podman Engine".
    public var componentNames: [String]

    public init(
        version: String? = nil, apiVersion: String? = nil, minAPIVersion: String? = nil, os: String? = nil,
        arch: String? = nil, kernelVersion: String? = nil, componentNames: [String] = []
    ) {
        self.version = version
        self.apiVersion = apiVersion
        self.minAPIVersion = minAPIVersion
        self.os = os
        self.arch = arch
        self.kernelVersion = kernelVersion
        self.componentNames = componentNames
    }

    /// True when the engine is podman's Docker-compatible service.
    public var isPodman: Bool {
        componentNames.contains { $0.lowercased().contains("podman") }
    }

    private enum CodingKeys: String, CodingKey {
        case version = "Version"
        case apiVersion = "ApiVersion"
        case minAPIVersion = "MinAPIVersion"
        case os = "Os"
        case arch = "Arch"
        case kernelVersion = "KernelVersion"
        case components = "Components"
    }

    private struct Component: Decodable {
        var name: String?
        enum CodingKeys: String, CodingKey { case name = "Name" }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        version = try? container.decodeIfPresent(String.self, forKey: .version)
        apiVersion = try? container.decodeIfPresent(String.self, forKey: .apiVersion)
        minAPIVersion = try? container.decodeIfPresent(String.self, forKey: .minAPIVersion)
        os = try? container.decodeIfPresent(String.self, forKey: .os)
        arch = try? container.decodeIfPresent(String.self, forKey: .arch)
        kernelVersion = try? container.decodeIfPresent(String.self, forKey: .kernelVersion)
        let components = (try? container.decodeIfPresent([Component].self, forKey: .components)) ?? nil
        componentNames = components?.compactMap(\.name) ?? []
    }
}
