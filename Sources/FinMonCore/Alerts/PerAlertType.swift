/// One value for every alert type. A total table instead of a dictionary, so that a
/// per-type setting can never be missing and reading one needs no optional handling.
public struct PerAlertType<Value: Sendable & Equatable>: Sendable, Equatable {
    public var highMemory: Value
    public var highCPU: Value
    public var diversityCollapse: Value
    public var championStaleness: Value
    public var lowSuccessRate: Value
    public var orphanedContainers: Value
    public var memoryLeak: Value
    public var loopStuck: Value

    public init(
        highMemory: Value, highCPU: Value, diversityCollapse: Value,
        championStaleness: Value, lowSuccessRate: Value, orphanedContainers: Value,
        memoryLeak: Value, loopStuck: Value
    ) {
        self.highMemory = highMemory
        self.highCPU = highCPU
        self.diversityCollapse = diversityCollapse
        self.championStaleness = championStaleness
        self.lowSuccessRate = lowSuccessRate
        self.orphanedContainers = orphanedContainers
        self.memoryLeak = memoryLeak
        self.loopStuck = loopStuck
    }

    public init(repeating value: Value) {
        self.init(
            highMemory: value, highCPU: value, diversityCollapse: value,
            championStaleness: value, lowSuccessRate: value, orphanedContainers: value,
            memoryLeak: value, loopStuck: value)
    }

    public subscript(type: AlertType) -> Value {
        get {
            switch type {
            case .highMemory: highMemory
            case .highCPU: highCPU
            case .diversityCollapse: diversityCollapse
            case .championStaleness: championStaleness
            case .lowSuccessRate: lowSuccessRate
            case .orphanedContainers: orphanedContainers
            case .memoryLeak: memoryLeak
            case .loopStuck: loopStuck
            }
        }
        set {
            switch type {
            case .highMemory: highMemory = newValue
            case .highCPU: highCPU = newValue
            case .diversityCollapse: diversityCollapse = newValue
            case .championStaleness: championStaleness = newValue
            case .lowSuccessRate: lowSuccessRate = newValue
            case .orphanedContainers: orphanedContainers = newValue
            case .memoryLeak: memoryLeak = newValue
            case .loopStuck: loopStuck = newValue
            }
        }
    }
}
