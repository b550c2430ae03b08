/// The counters of one `GET /containers/{id}/stats?stream=false&one-shot=true`
/// reply that the CPU and memory formulas need, flattened. Every field is optional:
/// engines and cgroup versions differ in what they fill in, and a field of the
/// wrong type is read as absent rather than failing the whole sample.
public struct ContainerStatsSample: Sendable, Equatable {
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

    /// Reads one stats reply. It must be a JSON object; inside it every field is
    /// optional and one of the wrong type (or out of range) reads as absent.
    init(json: JSONValue) throws(DockerError) {
        guard json.objectMembers != nil else {
            throw .decoding(reason: "a stats reply is not a JSON object")
        }
        self.init()
        id = json["id"]?.stringValue ?? json["Id"]?.stringValue
        name = json["name"]?.stringValue
        read = json["read"]?.stringValue
        if let cpu = json["cpu_stats"] {
            systemCPUUsage = Self.counter(cpu["system_cpu_usage"])
            onlineCPUs = cpu["online_cpus"].flatMap(Self.integer)
            if let usage = cpu["cpu_usage"] {
                cpuTotalUsage = Self.counter(usage["total_usage"])
                perCPUUsage = usage["percpu_usage"]?.arrayValue.flatMap { items in
                    let values = items.compactMap(Self.integerCounter)
                    return values.count == items.count ? values : nil
                }
            }
        }
        if let memory = json["memory_stats"] {
            memoryUsage = Self.counter(memory["usage"])
            memoryLimit = Self.counter(memory["limit"])
            if let detail = memory["stats"] {
                inactiveFile = Self.counter(detail["inactive_file"])
                totalInactiveFile = Self.counter(detail["total_inactive_file"])
            }
        }
    }

    /// A counter must be a non-negative integer as written: `1.5` or `"100"` is not one.
    private static func counter(_ value: JSONValue?) -> UInt64? {
        value.flatMap(integerCounter)
    }

    private static func integerCounter(_ value: JSONValue) -> UInt64? {
        switch value {
        case .int, .uint: return value.uint64Value
        default: return nil
        }
    }

    private static func integer(_ value: JSONValue) -> Int? {
        if case .int(let int) = value { return int }
        return nil
    }
}
