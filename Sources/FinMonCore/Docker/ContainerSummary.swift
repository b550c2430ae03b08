/// One entry of `GET /containers/json`, reduced to what finmon uses. Only `Id` is
/// required; the engine's other fields may be absent or null (podman and Docker differ).
public struct ContainerSummary: Sendable, Equatable, Decodable {
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

    private enum CodingKeys: String, CodingKey {
        case id = "Id"
        case names = "Names"
        case labels = "Labels"
        case state = "State"
        case status = "Status"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        names = (try? container.decodeIfPresent([String].self, forKey: .names)) ?? []
        labels = (try? container.decodeIfPresent([String: String].self, forKey: .labels)) ?? [:]
        state = try? container.decodeIfPresent(String.self, forKey: .state)
        status = try? container.decodeIfPresent(String.self, forKey: .status)
    }
}
