import FinMonCore

/// The status codes of finmon.h. Negative is failure; the message is in finmon_last_error().
enum Status {
    static let ok: Int32 = 0
    static let dropped: Int32 = 1
    static let invalidArgument: Int32 = -1
    static let nullPointer: Int32 = -2
    static let invalidHandle: Int32 = -3
    static let invalidUTF8: Int32 = -4
    static let invalidName: Int32 = -5
    static let labelMismatch: Int32 = -6
    static let wrongType: Int32 = -7
    static let conflict: Int32 = -8
    static let notFound: Int32 = -9
    static let state: Int32 = -10
    static let io: Int32 = -11
    static let config: Int32 = -12
    static let timeout: Int32 = -13
    static let docker: Int32 = -14
    static let `internal`: Int32 = -99
}

/// A failure at the boundary: a status code with its message.
struct ABIError: Error {
    let code: Int32
    let message: String

    static func null(_ what: String) -> ABIError { ABIError(code: Status.nullPointer, message: "\(what) is NULL") }
    static func handle(_ what: String) -> ABIError {
        ABIError(code: Status.invalidHandle, message: "\(what) is not a live finmon handle (freed, removed, or never created)")
    }
    static func argument(_ message: String) -> ABIError { ABIError(code: Status.invalidArgument, message: message) }
}

extension Status {
    /// Maps any error the core throws to its code, so the shim can pick the exception class.
    static func code(for error: Error) -> Int32 {
        switch error {
        case let abi as ABIError: return abi.code
        case let metrics as MetricsError:
            switch metrics {
            case .invalidMetricName, .invalidLabelName, .reservedLabelName, .duplicateLabelName: return invalidName
            case .labelMismatch: return labelMismatch
            case .wrongType: return wrongType
            case .conflictingRegistration: return conflict
            case .unknownMetric: return notFound
            case .textTooLong, .invalidBuckets, .invalidValue: return invalidArgument
            }
        case let start as MetricsExporter.StartError:
            if case .invalidLimit = start { return invalidArgument }
            return state
        case is LoopInputError, is DiversityInputError, is DiversityMathError: return invalidArgument
        case is ConfigError: return config
        case is AlertLogError: return io
        case let export as FinalExportError:
            if case .invalid = export { return invalidArgument }
            return io
        case is AlertInputError: return invalidArgument
        case is AlertManagerError: return state
        case let containers as ContainerMonitorError: return code(forContainers: containers)
        case let docker as DockerError: return code(forDocker: docker)
        case is ResourceMonitorError: return invalidArgument
        default: return `internal`
        }
    }
}
