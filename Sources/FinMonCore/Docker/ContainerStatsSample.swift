/// The counters of one `GET /containers/{id}/stats?stream=false&one-shot=true`
/// reply that the CPU and memory formulas need, flattened. Every field is optional:
/// engines and cgroup versions differ in what they fill in, and a field of the
/// wrong type is read as absent rather than failing the whole sample.
public struct ContainerStatsSample: Sendable, Equatable, Decodable {
    /// Docker sends "id", podman "Id".
    public var id: String?
    public var name: String?
    /// The engine's timestamp of the sample (RFC 3339 text, kept as given).
    public var read: String?
    /// cpu_stats.cpu_usage.total_usage, nanoseconds of CPU time used by the container.
    public var cpuTotalUsage: UInt64?
    /// cpu_stats.system_cpu_usage, nanoseconds of host CPU time (all CPUs).
    public var systemCPUUsage: UInt64?
    /// cpu_stats.online_cpus (absent on old engines).
    public var onlineCPUs: Int?
    /// cpu_stats.cpu_usage.percpu_usage (cgroup v1 only); its length stands in for online_cpus.
    public var perCPUUsage: [UInt64]?
    /// memory_stats.usage, bytes, page cache included.
    public var memoryUsage: UInt64?
    /// memory_stats.limit, bytes (the host's memory when the container has no limit).
    public var memoryLimit: UInt64?
    /// memory_stats.stats.inactive_file (cgroup v2; also present on v1, per cgroup).
    public var inactiveFile: UInt64?
    /// memory_stats.stats.total_inactive_file (cgroup v1, hierarchical).
    public var totalInactiveFile: UInt64?

    public init(
        id: String? = nil,
        name: String? = nil,
        read: String? = nil,
        cpuTotalUsage: UInt64? = nil,
        systemCPUUsage: UInt64? = nil,
        onlineCPUs: Int? = nil,
        perCPUUsage: [UInt64]? = nil,
        memoryUsage: UInt64? = nil,
        memoryLimit: UInt64? = nil,
        inactiveFile: UInt64? = nil,
        totalInactiveFile: UInt64? = nil
    ) {
        self.id = id
        self.name = name
        self.read = read
        self.cpuTotalUsage = cpuTotalUsage
        self.systemCPUUsage = systemCPUUsage
        self.onlineCPUs = onlineCPUs
        self.perCPUUsage = perCPUUsage
        self.memoryUsage = memoryUsage
        self.memoryLimit = memoryLimit
        self.inactiveFile = inactiveFile
        self.totalInactiveFile = totalInactiveFile
    }

    private enum TopKeys: String, CodingKey {
        case id
        case podmanID = "Id"
        case name, read
        case cpuStats = "cpu_stats"
        case memoryStats = "memory_stats"
    }
    private enum CPUStatsKeys: String, CodingKey {
        case cpuUsage = "cpu_usage"
        case systemCPUUsage = "system_cpu_usage"
        case onlineCPUs = "online_cpus"
    }
    private enum CPUUsageKeys: String, CodingKey {
        case totalUsage = "total_usage"
        case perCPUUsage = "percpu_usage"
    }
    private enum MemoryStatsKeys: String, CodingKey {
        case usage, limit, stats
    }
    private enum MemoryDetailKeys: String, CodingKey {
        case inactiveFile = "inactive_file"
        case totalInactiveFile = "total_inactive_file"
    }

    public init(from decoder: any Decoder) throws {
        self.init()
        let top = try decoder.container(keyedBy: TopKeys.self)
        id = Self.lenient(String.self, top, .id) ?? Self.lenient(String.self, top, .podmanID)
        name = Self.lenient(String.self, top, .name)
        read = Self.lenient(String.self, top, .read)

        if let cpu = Self.nested(top, .cpuStats, keyedBy: CPUStatsKeys.self) {
            systemCPUUsage = Self.lenient(UInt64.self, cpu, .systemCPUUsage)
            onlineCPUs = Self.lenient(Int.self, cpu, .onlineCPUs)
            if let usage = Self.nested(cpu, .cpuUsage, keyedBy: CPUUsageKeys.self) {
                cpuTotalUsage = Self.lenient(UInt64.self, usage, .totalUsage)
                perCPUUsage = Self.lenient([UInt64].self, usage, .perCPUUsage)
            }
        }
        if let memory = Self.nested(top, .memoryStats, keyedBy: MemoryStatsKeys.self) {
            memoryUsage = Self.lenient(UInt64.self, memory, .usage)
            memoryLimit = Self.lenient(UInt64.self, memory, .limit)
            if let detail = Self.nested(memory, .stats, keyedBy: MemoryDetailKeys.self) {
                inactiveFile = Self.lenient(UInt64.self, detail, .inactiveFile)
                totalInactiveFile = Self.lenient(UInt64.self, detail, .totalInactiveFile)
            }
        }
    }

    private static func lenient<Value: Decodable, Key: CodingKey>(
        _ type: Value.Type, _ container: KeyedDecodingContainer<Key>, _ key: Key
    ) -> Value? {
        (try? container.decodeIfPresent(type, forKey: key)) ?? nil
    }

    private static func nested<Key: CodingKey, NestedKey: CodingKey>(
        _ container: KeyedDecodingContainer<Key>, _ key: Key, keyedBy: NestedKey.Type
    ) -> KeyedDecodingContainer<NestedKey>? {
        guard (try? container.decodeNil(forKey: key)) == false else { return nil }
        return try? container.nestedContainer(keyedBy: NestedKey.self, forKey: key)
    }
}
