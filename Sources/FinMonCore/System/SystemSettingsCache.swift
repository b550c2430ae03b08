/// What a `SystemSampler` keeps between ticks of the settings that change rarely, and when
/// it reads them again (see `SystemSampler.settingsRefreshTicks`).
///
/// Only successful reads are kept: a failed one is tried again on the next tick, so an error
/// is reported every tick while it lasts, as before the cache.
///
///     var cache = SystemSettingsCache()
///     let refresh = cache.startTick(freshDescriptors: session.isFresh, monotonicTime: now)  // true on the first
struct SystemSettingsCache: Sendable {
    /// The soft open-files limit as last read (nil inside: "unlimited"); nil: not read yet.
    var maxFDs: UInt64??
    private var cgroupState = CgroupState.unknown
    /// Ticks since the last refresh tick.
    private var ticksSinceRefresh = 0
    /// CLOCK_MONOTONIC seconds of the last refresh tick.
    private var lastRefresh = -Double.infinity

    private enum CgroupState: Sendable {
        case unknown
        /// No memory controller visible.
        case absent
        case present(CgroupMemory, usagePath: String)
    }

    /// Whether this tick re-reads the settings: once `settingsRefreshTicks` ticks or
    /// `settingsRefreshSeconds` seconds have passed since the last refresh, whichever comes
    /// first, and whenever the descriptors were just opened (first tick, after a close or
    /// a fork).
    mutating func startTick(freshDescriptors: Bool, monotonicTime: Double) -> Bool {
        ticksSinceRefresh += 1
        if freshDescriptors || ticksSinceRefresh >= SystemSampler.settingsRefreshTicks
            || !(monotonicTime - lastRefresh < SystemSampler.settingsRefreshSeconds) {
            ticksSinceRefresh = 0
            lastRefresh = monotonicTime
            return true
        }
        return false
    }

    /// The cgroup's memory: on a refresh tick (or with nothing cached) the full read of
    /// membership, directory, limit and usage; otherwise the cached figures with the usage
    /// read now. A usage read that fails falls back to the full read at once.
    mutating func cgroup(
        refresh: Bool, session: inout ProcReadSession, configuration: SystemSampler.Configuration
    ) throws(SystemReadError) -> CgroupMemory? {
        if !refresh {
            switch cgroupState {
            case .absent:
                return nil
            case .present(let cached, let usagePath):
                if let current = try? CgroupMemory.readUsage(session: &session, cached: cached, usagePath: usagePath) {
                    return current
                }
            case .unknown:
                break
            }
        }
        cgroupState = .unknown
        let memory = try CgroupMemory.read(
            session: &session, procRoot: configuration.procRoot, cgroupRoot: configuration.cgroupRoot,
            pid: configuration.pid)
        cgroupState = memory.map { .present($0, usagePath: $0.usagePath) } ?? .absent
        return memory
    }
}
