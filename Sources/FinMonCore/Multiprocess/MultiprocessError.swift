import Glibc

/// Why a multiprocess segment could not be made, opened or joined.
public enum MultiprocessError: Error, Sendable, Equatable, CustomStringConvertible {
    case system(String, Int32)
    case invalid(String)
    case full(slots: Int)

    public var description: String {
        switch self {
        case .system(let what, let code): "cannot \(what): \(String(cString: strerror(code)))"
        case .invalid(let reason): reason
        case .full(let slots): "all \(slots) worker slots belong to live processes; raise the slot count"
        }
    }
}
