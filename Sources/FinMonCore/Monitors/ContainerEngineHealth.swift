/// Whether the Docker Engine answers, as the container monitor last saw it: one warning
/// when it stops answering, one info line when it is back, and every failure counted in
/// `finmon_collection_errors_total{collector="docker"}` in between. Pure state, kept
/// under the `ContainerMonitor`'s lock; the events it returns are pushed after the lock.
struct ContainerEngineHealth {
    /// The collector label the failures count under, and the latch's one key.
    static let collector = "docker"

    private var latch = WarningLatch<String>()
    private(set) var lastError: String?
    private(set) var errors: UInt64 = 0
    private let collectionErrors: Metric<Counter>

    init(collectionErrors: Metric<Counter>) {
        self.collectionErrors = collectionErrors
    }

    var isFailing: Bool { latch.isFailing(Self.collector) }

    mutating func countError() {
        errors &+= 1
        collectionErrors.inc()
    }

    /// Notes a failure; the first of a streak returns the one warning.
    mutating func failed(_ error: DockerError, endpoint: HTTPEndpoint) -> RuntimeEvent? {
        lastError = error.description
        guard latch.recordFailure(Self.collector) else { return nil }
        return RuntimeEvent(
            level: .warning,
            message: "Container metrics unavailable: \(error) (engine \(endpoint)); "
                + "the last values stay exported until the engine answers again",
            json: JSONValue.sortedObject([
                ("collector", .string(Self.collector)), ("endpoint", .string(endpoint.description)),
                ("error", .string(error.description)),
            ]).rendered)
    }

    /// Notes an answer; the first after a streak of failures returns the recovery line.
    mutating func answered(endpoint: HTTPEndpoint) -> RuntimeEvent? {
        guard latch.recordSuccess(Self.collector) else { return nil }
        return RuntimeEvent(
            level: .info, message: "Container metrics restored: the engine at \(endpoint) answers again",
            json: JSONValue.sortedObject([
                ("collector", .string(Self.collector)), ("endpoint", .string(endpoint.description)),
            ]).rendered)
    }
}
