import NIOCore

/// What a ContainerMonitor talks to and what it calls an orphan. Validated on creation,
/// so the monitor never holds a setting it cannot use.
public struct ContainerMonitorSettings: Sendable, Equatable {
    public static let defaultLabel = "finlab-sandbox"
    public static let defaultOrphanStatuses = ["exited", "dead"]
    public static let defaultRequestTimeoutSeconds = 2.0
    public static let defaultOrphanThreshold = 3
    /// Longer than any sane engine round trip; a larger value is a typo (ms for s).
    public static let maxRequestTimeoutSeconds = 300.0

    public let endpoint: HTTPEndpoint
    /// A label key (`finlab-sandbox`) or `key=value`, as the engine's label filter takes it.
    public let label: String
    /// Lower-case container states that make a labelled container an orphan.
    public let orphanStatuses: [String]
    public let requestTimeoutSeconds: Double
    /// Orphans a periodic scan must find before auto cleanup removes them.
    public let orphanThreshold: Int
    public let autoCleanup: Bool

    /// The documented defaults on `endpoint`; needs no validation.
    static func defaults(endpoint: HTTPEndpoint) -> ContainerMonitorSettings {
        ContainerMonitorSettings(
            unchecked: endpoint, label: defaultLabel, orphanStatuses: defaultOrphanStatuses,
            requestTimeoutSeconds: defaultRequestTimeoutSeconds, orphanThreshold: defaultOrphanThreshold,
            autoCleanup: true)
    }

    private init(
        unchecked endpoint: HTTPEndpoint, label: String, orphanStatuses: [String], requestTimeoutSeconds: Double,
        orphanThreshold: Int, autoCleanup: Bool
    ) {
        self.endpoint = endpoint
        self.label = label
        self.orphanStatuses = orphanStatuses
        self.requestTimeoutSeconds = requestTimeoutSeconds
        self.orphanThreshold = orphanThreshold
        self.autoCleanup = autoCleanup
    }

    public init(
        endpoint: HTTPEndpoint = .unix(path: DockerClient.defaultSocketPath),
        label: String = ContainerMonitorSettings.defaultLabel,
        orphanStatuses: [String] = ContainerMonitorSettings.defaultOrphanStatuses,
        requestTimeoutSeconds: Double = ContainerMonitorSettings.defaultRequestTimeoutSeconds,
        orphanThreshold: Int = ContainerMonitorSettings.defaultOrphanThreshold,
        autoCleanup: Bool = true
    ) throws(ContainerMonitorError) {
        let key = label.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        guard !key.isEmpty, label.utf8.count <= 256,
            !label.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
        else {
            throw .invalidSettings(
                reason: "label must be a key or key=value of at most 256 bytes without control characters, got \"\(label)\"")
        }
        guard !orphanStatuses.isEmpty else {
            throw .invalidSettings(reason: "orphan statuses must name at least one container state")
        }
        var statuses: [String] = []
        for status in orphanStatuses {
            let lowered = status.lowercased()
            guard !lowered.isEmpty, lowered.utf8.count <= 32, lowered.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) })
            else {
                throw .invalidSettings(reason: "orphan status \"\(status)\" is not a container state such as exited or dead")
            }
            if !statuses.contains(lowered) { statuses.append(lowered) }
        }
        guard requestTimeoutSeconds.isFinite, requestTimeoutSeconds > 0,
            requestTimeoutSeconds <= Self.maxRequestTimeoutSeconds
        else {
            throw .invalidSettings(
                reason: "request timeout must be in (0, \(Int(Self.maxRequestTimeoutSeconds))] seconds, got \(requestTimeoutSeconds)")
        }
        guard orphanThreshold >= 1, orphanThreshold <= 1_000_000 else {
            throw .invalidSettings(reason: "orphan threshold must be in 1...1000000, got \(orphanThreshold)")
        }
        self.init(
            unchecked: endpoint, label: label, orphanStatuses: statuses, requestTimeoutSeconds: requestTimeoutSeconds,
            orphanThreshold: orphanThreshold, autoCleanup: autoCleanup)
    }

    /// Settings with the engine found as `DockerClient.resolveEndpoint` finds it: the
    /// caller's address (unix:///path, a docker-py base_url, tcp://...), else DOCKER_HOST,
    /// else /var/run/docker.sock.
    public static func resolving(
        endpoint configured: String?,
        dockerHost: String? = DockerClient.dockerHostFromEnvironment(),
        label: String = defaultLabel,
        orphanStatuses: [String] = defaultOrphanStatuses,
        requestTimeoutSeconds: Double = defaultRequestTimeoutSeconds,
        orphanThreshold: Int = defaultOrphanThreshold,
        autoCleanup: Bool = true
    ) throws(ContainerMonitorError) -> ContainerMonitorSettings {
        let endpoint: HTTPEndpoint
        do {
            endpoint = try DockerClient.resolveEndpoint(configured: configured, dockerHost: dockerHost)
        } catch {
            throw .docker(error)
        }
        return try ContainerMonitorSettings(
            endpoint: endpoint, label: label, orphanStatuses: orphanStatuses,
            requestTimeoutSeconds: requestTimeoutSeconds, orphanThreshold: orphanThreshold, autoCleanup: autoCleanup)
    }

    /// The settings a config file gives (`monitoring.container_monitor` and
    /// `monitoring.alerts.orphaned_containers`); `endpoint` overrides its `docker_host`.
    public static func from(
        config: MonitoringConfig, endpoint: String? = nil,
        dockerHost: String? = DockerClient.dockerHostFromEnvironment()
    ) throws(ContainerMonitorError) -> ContainerMonitorSettings {
        try resolving(
            endpoint: endpoint ?? config.string("monitoring.container_monitor.docker_host"), dockerHost: dockerHost,
            label: config.string("monitoring.container_monitor.label") ?? defaultLabel,
            orphanStatuses: config.strings("monitoring.container_monitor.orphan_statuses"),
            requestTimeoutSeconds: config.double("monitoring.container_monitor.request_timeout"),
            orphanThreshold: config.int("monitoring.alerts.orphaned_containers.threshold"),
            autoCleanup: config.bool("monitoring.alerts.orphaned_containers.auto_cleanup"))
    }

    var requestTimeout: TimeAmount {
        .nanoseconds(Int64(requestTimeoutSeconds * 1_000_000_000))
    }

    /// The label filter's two halves: the key, and the value when one was given.
    var labelKey: String {
        String(label.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
    }

    var labelValue: String? {
        let parts = label.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        return parts.count == 2 ? String(parts[1]) : nil
    }

    /// Labelled and in an orphan state. The label is checked here too, not only by the
    /// engine's filter: an engine that ignores a filter must not get containers removed.
    func isOrphan(_ container: ContainerSummary) -> Bool {
        guard let value = container.labels[labelKey] else { return false }
        if let wanted = labelValue, value != wanted { return false }
        guard let state = container.state?.lowercased() else { return false }
        return orphanStatuses.contains(state)
    }
}
