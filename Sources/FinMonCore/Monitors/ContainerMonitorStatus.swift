/// A ContainerMonitor's bookkeeping at one moment, for `get_status()` and tests.
public struct ContainerMonitorStatus: Sendable, Equatable {
    public var endpoint: String
    public var label: String
    /// The settings in use: orphans a scan must find before auto cleanup, whether it runs,
    /// and how long an engine request may take.
    public var orphanThreshold: Int
    public var autoCleanup: Bool
    public var requestTimeoutSeconds: Double
    /// Containers created (or asked about) and not yet cleaned up.
    public var trackedContainers: Int
    /// Stats queries sent and not yet answered.
    public var queriesInFlight: Int
    public var polling: Bool
    public var pollIntervalSeconds: Double?
    public var cyclesCompleted: UInt64
    /// How long the latest complete stats cycle took (list, auto cleanup, every stats query).
    public var lastCycleSeconds: Double?
    /// Containers the latest cycle queried.
    public var lastCycleContainers: Int
    /// True from a failed engine call until the next one that succeeds.
    public var engineFailing: Bool
    public var lastError: String?
    /// Failed collections (what finmon_collection_errors_total{collector="docker"} counts).
    public var errors: UInt64
    /// Orphans found by the latest scan; nil before any scan.
    public var orphanedContainers: Int?
    /// Orphans removed by auto cleanup since the monitor was created.
    public var autoRemoved: UInt64

    public var json: String {
        JSONValue.sortedObject([
            ("endpoint", .string(endpoint)),
            ("label", .string(label)),
            ("orphan_threshold", .int(orphanThreshold)),
            ("auto_cleanup", .bool(autoCleanup)),
            ("request_timeout_seconds", .number(requestTimeoutSeconds)),
            ("tracked_containers", .int(trackedContainers)),
            ("queries_in_flight", .int(queriesInFlight)),
            ("polling", .bool(polling)),
            ("poll_interval_seconds", .optional(pollIntervalSeconds)),
            ("cycles_completed", .int(Int(clamping: cyclesCompleted))),
            ("last_cycle_seconds", .optional(lastCycleSeconds)),
            ("last_cycle_containers", .int(lastCycleContainers)),
            ("engine_failing", .bool(engineFailing)),
            ("last_error", .optional(lastError)),
            ("errors", .int(Int(clamping: errors))),
            ("orphaned_containers", .optional(orphanedContainers)),
            ("auto_removed", .int(Int(clamping: autoRemoved))),
        ]).rendered
    }
}
