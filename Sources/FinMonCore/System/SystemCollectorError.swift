/// One source's failure within a sample; the other sources' values stand.
public struct SystemCollectorError: Error, Equatable, Sendable, CustomStringConvertible {
    public var collector: SystemCollector
    public var error: SystemReadError

    public init(collector: SystemCollector, error: SystemReadError) {
        self.collector = collector
        self.error = error
    }

    public var message: String { error.description }

    public var description: String { "\(collector.rawValue): \(error.description)" }
}
