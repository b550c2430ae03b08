import CFinMon
import FinMonCore

/// A failure at the boundary: a status code of finmon.h with its message.
struct ABIError: Error {
    let code: finmon_status
    let message: String

    static func null(_ what: String) -> ABIError { ABIError(code: FINMON_E_NULL_POINTER, message: "\(what) is NULL") }
    static func handle(_ what: String) -> ABIError {
        ABIError(code: FINMON_E_INVALID_HANDLE, message: "\(what) is not a live finmon handle (freed, removed, or never created)")
    }
    static func argument(_ message: String) -> ABIError { ABIError(code: FINMON_E_INVALID_ARGUMENT, message: message) }
}

extension finmon_status {
    /// The status for any error the core throws, so the host can pick its exception class.
    init(for error: any Error) {
        switch error {
        case let abi as ABIError: self = abi.code
        case let metrics as MetricsError: self = .init(forMetrics: metrics)
        case let start as MetricsExporter.StartError:
            if case .invalidLimit = start { self = FINMON_E_INVALID_ARGUMENT } else { self = FINMON_E_STATE }
        case is LoopInputError, is DiversityInputError, is DiversityMathError: self = FINMON_E_INVALID_ARGUMENT
        case is ConfigError: self = FINMON_E_CONFIG
        case is AlertLogError: self = FINMON_E_IO
        case let export as FinalExportError:
            if case .invalid = export { self = FINMON_E_INVALID_ARGUMENT } else { self = FINMON_E_IO }
        case is AlertInputError: self = FINMON_E_INVALID_ARGUMENT
        case is AlertManagerError: self = FINMON_E_STATE
        case let containers as ContainerMonitorError: self = .init(forContainers: containers)
        case let docker as DockerError: self = .init(forDocker: docker)
        case is ResourceMonitorError: self = FINMON_E_INVALID_ARGUMENT
        default: self = FINMON_E_INTERNAL
        }
    }

    private init(forMetrics error: MetricsError) {
        switch error {
        case .invalidMetricName, .invalidLabelName, .reservedLabelName, .duplicateLabelName: self = FINMON_E_INVALID_NAME
        case .labelMismatch: self = FINMON_E_LABELS
        case .wrongType: self = FINMON_E_WRONG_TYPE
        case .conflictingRegistration: self = FINMON_E_CONFLICT
        case .unknownMetric: self = FINMON_E_NOT_FOUND
        case .textTooLong, .invalidBuckets, .invalidValue: self = FINMON_E_INVALID_ARGUMENT
        }
    }

    /// Engine failures by what the caller can do about them: wait (timeout), check the
    /// socket (I/O), or read the engine's message (docker).
    private init(forContainers error: ContainerMonitorError) {
        switch error {
        case .invalidContainerID, .invalidSettings: self = FINMON_E_INVALID_ARGUMENT
        case .docker(let docker): self = .init(forDocker: docker)
        }
    }

    private init(forDocker error: DockerError) {
        switch error {
        case .invalidEndpoint, .invalidArgument: self = FINMON_E_INVALID_ARGUMENT
        case .transport(.timeout): self = FINMON_E_TIMEOUT
        case .transport(.blockingOnEventLoop): self = FINMON_E_STATE
        case .transport(.invalidEndpoint), .transport(.invalidRequest): self = FINMON_E_INVALID_ARGUMENT
        case .transport: self = FINMON_E_IO
        case .notFound, .engine, .noStats, .decoding: self = FINMON_E_DOCKER
        }
    }
}
