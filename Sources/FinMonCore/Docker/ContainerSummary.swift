/// One entry of `GET /containers/json`, reduced to what finmon uses. Only `Id` is
/// required; the engine's other fields may be absent or null (podman and Docker differ).
public struct ContainerSummary: Sendable, Equatable {
    public var id: String
    /// As the engine reports them, with the leading "/" (Docker's convention).
    public var names: [String]
    public var labels: [String: String]
    /// "running", "exited", "created", ... (podman may also say "stopped").
    public var state: String?
    /// Human text such as "Up 3 seconds" or "Exited (3) 2 minutes ago".
    public var status: String?

    public init(
        id: String, names: [String] = [], labels: [String: String] = [:], state: String? = nil, status: String? = nil
    ) {
        self.id = id
        self.names = names
        self.labels = labels
        self.state = state
        self.status = status
    }

    /// The first name without Docker's leading "/", or nil when the engine gave none.
    public var name: String? {
        guard let first = names.first else { return nil }
        return first.hasPrefix("/") ? String(first.dropFirst()) : first
    }

    /// Reads one list entry. Only `Id` (a string) is required; a field that is absent,
    /// null or of the wrong type reads as empty, because engines differ in what they fill in.
    init(json: JSONValue) throws(DockerError) {
        guard json.objectMembers != nil else {
            throw .decoding(reason: "a container list entry is not a JSON object")
        }
        guard let id = json["Id"]?.stringValue else {
            throw .decoding(reason: "a container list entry has no string \"Id\"")
        }
        self.id = id
        names = json["Names"]?.arrayValue.flatMap { items in
            let strings = items.compactMap(\.stringValue)
            return strings.count == items.count ? strings : nil
        } ?? []
        var labels: [String: String] = [:]
        if let members = json["Labels"]?.objectMembers {
            for member in members {
                guard let value = member.value.stringValue else {
                    labels = [:]
                    break
                }
                labels[member.key] = value
            }
        }
        self.labels = labels
        state = json["State"]?.stringValue
        status = json["Status"]?.stringValue
    }

    /// Reads `GET /containers/json`'s reply: an array of entries.
    static func list(json: JSONValue) throws(DockerError) -> [ContainerSummary] {
        guard let items = json.arrayValue else {
            throw .decoding(reason: "the container list is not a JSON array")
        }
        var list: [ContainerSummary] = []
        list.reserveCapacity(items.count)
        for item in items { list.append(try ContainerSummary(json: item)) }
        return list
    }
}
