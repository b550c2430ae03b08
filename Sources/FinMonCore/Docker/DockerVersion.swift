/// The parts of `GET /version` worth logging: which engine (Docker or podman's
/// compat service) and which API range it speaks.
public struct DockerVersion: Sendable, Equatable {
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
    var isPodman: Bool {
        componentNames.contains { Self.mentionsPodman($0) }
    }

    /// A byte search, not `String.contains(_: String)`: that one is _StringProcessing's, and
    /// an unoptimised build would link the module and its regex parser into the library.
    private static func mentionsPodman(_ name: String) -> Bool {
        let text = Array(name.lowercased().utf8)
        let word = Array("podman".utf8)
        guard text.count >= word.count else { return false }
        return (0...(text.count - word.count)).contains { text[$0..<$0 + word.count].elementsEqual(word) }
    }

    /// Reads `GET /version`'s reply: a JSON object whose fields are all optional.
    init(json: JSONValue) throws(DockerError) {
        guard json.objectMembers != nil else {
            throw .decoding(reason: "the version reply is not a JSON object")
        }
        self.init(
            version: json["Version"]?.stringValue,
            apiVersion: json["ApiVersion"]?.stringValue,
            minAPIVersion: json["MinAPIVersion"]?.stringValue,
            os: json["Os"]?.stringValue,
            arch: json["Arch"]?.stringValue,
            kernelVersion: json["KernelVersion"]?.stringValue,
            componentNames: json["Components"]?.arrayValue?.compactMap { $0["Name"]?.stringValue } ?? [])
    }
}
