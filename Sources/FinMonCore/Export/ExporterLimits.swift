/// How many connections the exporter serves at once and how long it waits for a client,
/// so no client can take the host process' file descriptors (an audit held 1,021 idle
/// connections and the loop could no longer open a file) or hold a connection forever
/// with a request it never finishes (slowloris).
///
/// - `maxConnections`: connections open at once. At the limit, a new connection closes
///   the one that has waited longest for a request (an idle or never-finished one), never
///   one being answered; with none waiting, the new one is closed at once. The default,
///   128, leaves a process with 1,024 descriptors 896 for itself.
/// - `readTimeoutSeconds`: a new connection must deliver a whole request within this.
/// - `idleTimeoutSeconds`: a keep-alive connection may wait this long for its next request.
///
/// Each connection closed by a limit counts in
/// `finmon_exporter_connections_rejected_total{reason}` (`connection_limit`,
/// `read_timeout`, `idle_timeout`).
///
///     try collector.startExporter(port: 8000, limits: ExporterLimits(maxConnections: 64))
public struct ExporterLimits: Sendable, Equatable {
    public var maxConnections: Int
    public var readTimeoutSeconds: Double
    public var idleTimeoutSeconds: Double

    public static let `default` = ExporterLimits()

    public init(maxConnections: Int = 128, readTimeoutSeconds: Double = 10, idleTimeoutSeconds: Double = 60) {
        self.maxConnections = maxConnections
        self.readTimeoutSeconds = readTimeoutSeconds
        self.idleTimeoutSeconds = idleTimeoutSeconds
    }

    /// The three settings of `monitoring.prometheus`.
    public init(config: MonitoringConfig) {
        self.init(
            maxConnections: config.int(Self.maxConnectionsKey),
            readTimeoutSeconds: config.double(Self.readTimeoutKey),
            idleTimeoutSeconds: config.double(Self.idleTimeoutKey))
    }

    static let maxConnectionsKey = "monitoring.prometheus.max_connections"
    static let readTimeoutKey = "monitoring.prometheus.read_timeout_seconds"
    static let idleTimeoutKey = "monitoring.prometheus.idle_timeout_seconds"

    /// Checks each value against its row of the settings table; the error names the
    /// argument as the Python keyword and the config key spell it.
    public func validate() throws(MetricsExporter.StartError) {
        let connections = ConfigTable.integerRange(Self.maxConnectionsKey)
        guard connections.contains(maxConnections) else {
            throw .invalidLimit("max_connections must be an integer in [\(connections.lowerBound), \(connections.upperBound)], got \(maxConnections)")
        }
        for (name, key, value) in [("read_timeout_seconds", Self.readTimeoutKey, readTimeoutSeconds),
                                   ("idle_timeout_seconds", Self.idleTimeoutKey, idleTimeoutSeconds)] {
            let bounds = ConfigTable.secondsBounds(key)
            guard bounds.contains(value) else {
                throw .invalidLimit("\(name) must be a number of seconds in \(bounds), got \(value)")
            }
        }
    }
}
