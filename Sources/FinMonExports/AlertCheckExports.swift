import CFinMon
import FinMonCore

/// An alert type from its name (`high_memory`, ...), as C passes it.
private func alertType(_ name: UnsafePointer<CChar>?) throws -> AlertType {
    let text = try CInput.string(name, "alert_type")
    guard let type = AlertType(rawValue: text) else {
        let names = AlertType.allCases.map(\.rawValue).joined(separator: ", ")
        throw ABIError.argument("alert_type must be one of \(names), got \"\(text)\"")
    }
    return type
}

@c @implementation
public func finmon_alerts_check(
    _ collector: OpaquePointer?, _ type: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    abiCall {
        let object = try Handles.collector(collector)
        let checked = try alertType(type)
        guard let out else { throw ABIError.null("out") }
        guard let event = try object.alerts.check(checked) else {
            out.pointee = nil
            return FINMON_OK
        }
        return try CInput.give(event.jsonLine(), to: out)
    }
}

@c @implementation
public func finmon_alerts_trigger(
    _ collector: OpaquePointer?, _ type: UnsafePointer<CChar>?, _ severity: UnsafePointer<CChar>?,
    _ message: UnsafePointer<CChar>?, _ currentValue: Double, _ thresholdValue: Double,
    _ iterationContext: Int64, _ hasIterationContext: Int32
) -> Int32 {
    abiCall {
        let object = try Handles.collector(collector)
        let checked = try alertType(type)
        let level = try CInput.string(severity, "severity")
        guard let severity = Severity(rawValue: level) else {
            throw ABIError.argument("severity must be warning or critical, got \"\(level)\"")
        }
        var iteration: Int?
        if hasIterationContext != 0 {
            guard let context = Int(exactly: iterationContext) else {
                throw ABIError.argument("iteration_context \(iterationContext) does not fit this platform's integer")
            }
            iteration = context
        }
        let now = AlertTime.now()
        try object.alerts.trigger(AlertEvent(
            alertType: checked, severity: severity, status: .firing, message: try CInput.string(message, "message"),
            currentValue: currentValue, thresholdValue: thresholdValue, epochSeconds: now.epochSeconds,
            startsAtEpochSeconds: now.epochSeconds, iterationContext: iteration))
        return FINMON_OK
    }
}

@c @implementation
public func finmon_alerts_interval(_ collector: OpaquePointer?, _ intervalSeconds: UnsafeMutablePointer<Double>?) -> Int32 {
    abiCall {
        let object = try Handles.collector(collector)
        guard let intervalSeconds else { throw ABIError.null("interval_seconds") }
        intervalSeconds.pointee = object.alerts.intervalSeconds ?? 0
        return FINMON_OK
    }
}
