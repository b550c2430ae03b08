/// What the monitors know at one evaluation, filled by the runtime each cycle. A nil (or
/// for diversity, too short a history) means the signal is not available this cycle, and
/// the alert that reads it keeps its state rather than resolving on missing data.
public struct AlertSnapshot: Sendable, Equatable {
    /// System memory in use, percent of total.
    public var memoryPercent: Double?
    /// System CPU busy time, percent.
    public var cpuPercent: Double?
    /// The most recently recorded diversity values, newest last.
    public var recentDiversity: [Double]
    public var iterationsSinceChampionUpdate: Int?
    /// Fraction 0...1 of successful strategies over the success window; nil until the window is full.
    public var successRate: Double?
    public var orphanedContainers: Int?
    /// The loop iteration, attached to events as context.
    public var iteration: Int?
    /// This process' resident memory, its least-squares growth over the resource monitor's
    /// window, and the memory it may use (the memory_leak forecast's inputs).
    public var residentMemoryBytes: Double?
    public var residentMemoryGrowthBytesPerSecond: Double?
    public var memoryLimitBytes: Double?
    /// Seconds since the loop last recorded an iteration (since the start before the first).
    public var secondsSinceLastIteration: Double?

    public init(
        memoryPercent: Double? = nil,
        cpuPercent: Double? = nil,
        recentDiversity: [Double] = [],
        iterationsSinceChampionUpdate: Int? = nil,
        successRate: Double? = nil,
        orphanedContainers: Int? = nil,
        iteration: Int? = nil,
        residentMemoryBytes: Double? = nil,
        residentMemoryGrowthBytesPerSecond: Double? = nil,
        memoryLimitBytes: Double? = nil,
        secondsSinceLastIteration: Double? = nil
    ) {
        self.memoryPercent = memoryPercent
        self.cpuPercent = cpuPercent
        self.recentDiversity = recentDiversity
        self.iterationsSinceChampionUpdate = iterationsSinceChampionUpdate
        self.successRate = successRate
        self.orphanedContainers = orphanedContainers
        self.iteration = iteration
        self.residentMemoryBytes = residentMemoryBytes
        self.residentMemoryGrowthBytesPerSecond = residentMemoryGrowthBytesPerSecond
        self.memoryLimitBytes = memoryLimitBytes
        self.secondsSinceLastIteration = secondsSinceLastIteration
    }
}
