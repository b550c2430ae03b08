/// Why a ContainerMonitor call was refused or failed.
public enum ContainerMonitorError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not a Docker container id or name (empty, too long, or characters an engine never uses).
    case invalidContainerID(String)
    /// A setting out of range; `reason` names it.
    case invalidSettings(reason: String)
    /// The engine call behind a blocking method failed (timeout, unreachable, engine error).
    case docker(DockerError)

    public var description: String {
        switch self {
        case .invalidContainerID(let reason): return "invalid container id: \(reason)"
        case .invalidSettings(let reason): return "invalid container monitor setting: \(reason)"
        case .docker(let error): return error.description
        }
    }
}
