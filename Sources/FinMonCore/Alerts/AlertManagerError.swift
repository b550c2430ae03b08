/// Calls the alert manager refuses in its current state.
public enum AlertManagerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Evaluation was asked for before any configuration was applied.
    case notConfigured

    public var description: String {
        switch self {
        case .notConfigured:
            "the alert manager has no configuration yet: configure it first (finmon_alerts_configure_file or _text)"
        }
    }
}
