@testable import FinMonCore

/// Alert events for the delivery tests, with readable defaults.
enum AlertTestEvents {
    static let epoch = 1_800_000_000.0

    static func firing(_ type: AlertType = .highMemory, at seconds: Double = 0, value: Double = 85) -> AlertEvent {
        AlertEvent(
            alertType: type, severity: type == .highMemory ? .critical : .warning, status: .firing,
            message: "\(type.rawValue) fired", currentValue: value, thresholdValue: 80,
            epochSeconds: epoch + seconds, startsAtEpochSeconds: epoch + seconds, iterationContext: 7)
    }

    static func resolved(_ type: AlertType = .highMemory, at seconds: Double, startedAt start: Double = 0) -> AlertEvent {
        AlertEvent(
            alertType: type, severity: type == .highMemory ? .critical : .warning, status: .resolved,
            message: "\(type.rawValue) resolved", currentValue: 50, thresholdValue: 80,
            epochSeconds: epoch + seconds, startsAtEpochSeconds: epoch + start, iterationContext: nil)
    }
}
