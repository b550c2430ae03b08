import CFinMon
import FinMonCore

/// The name given to config text in error messages when the caller gives none.
private let defaultTextName = "<config text>"

private func returnString(_ text: String, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) throws -> finmon_status {
    guard let owned = CInput.ownedCString(text) else { throw ABIError(code: FINMON_E_INTERNAL, message: "out of memory") }
    out.pointee = owned
    return FINMON_OK
}

private func parseConfig(_ text: UnsafePointer<CChar>?, _ fileName: UnsafePointer<CChar>?) throws -> MonitoringConfig {
    let yaml = try CInput.string(text, "yaml_text")
    let name = try CInput.optionalString(fileName, "file_name") ?? defaultTextName
    return try MonitoringConfig.parse(text: yaml, fileName: name)
}

@c @implementation
public func finmon_config_load(
    _ path: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    abiCall {
        let file = try CInput.string(path, "path")
        guard let out else { throw ABIError.null("out") }
        return try returnString(MonitoringConfig.load(path: file).jsonString(), out)
    }
}

@c @implementation
public func finmon_config_parse(
    _ text: UnsafePointer<CChar>?, _ fileName: UnsafePointer<CChar>?,
    _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    abiCall {
        let config = try parseConfig(text, fileName)
        guard let out else { throw ABIError.null("out") }
        return try returnString(config.jsonString(), out)
    }
}

@c @implementation
public func finmon_alerts_configure_file(_ collector: OpaquePointer?, _ path: UnsafePointer<CChar>?) -> Int32 {
    abiCall {
        let monitoring = try Handles.collector(collector)
        let config = try MonitoringConfig.load(path: try CInput.string(path, "path"))
        monitoring.alerts.configure(from: config)
        return FINMON_OK
    }
}

@c @implementation
public func finmon_alerts_configure_text(
    _ collector: OpaquePointer?, _ text: UnsafePointer<CChar>?, _ fileName: UnsafePointer<CChar>?
) -> Int32 {
    abiCall {
        let monitoring = try Handles.collector(collector)
        monitoring.alerts.configure(from: try parseConfig(text, fileName))
        return FINMON_OK
    }
}

@c @implementation
public func finmon_alerts_evaluate(
    _ collector: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    abiCall {
        let monitoring = try Handles.collector(collector)
        let happened = try monitoring.alerts.evaluate()
        guard let out else { return FINMON_OK }
        return try returnString(AlertEvent.jsonArray(happened), out)
    }
}

@c @implementation
public func finmon_alerts_active(
    _ collector: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    abiCall {
        let monitoring = try Handles.collector(collector)
        guard let out else { throw ABIError.null("out") }
        return try returnString(AlertEvent.jsonArray(monitoring.alerts.activeAlerts), out)
    }
}

@c @implementation
public func finmon_alerts_start(_ collector: OpaquePointer?) -> Int32 {
    abiCall {
        try Handles.collector(collector).alerts.start()
        return FINMON_OK
    }
}

@c @implementation
public func finmon_alerts_stop(_ collector: OpaquePointer?) -> Int32 {
    abiCall {
        try Handles.collector(collector).alerts.stop()
        return FINMON_OK
    }
}

@c @implementation
public func finmon_alerts_running(_ collector: OpaquePointer?, _ out: UnsafeMutablePointer<Int32>?) -> Int32 {
    abiCall {
        let monitoring = try Handles.collector(collector)
        guard let out else { throw ABIError.null("out") }
        out.pointee = monitoring.alerts.isRunning ? 1 : 0
        return FINMON_OK
    }
}

@c @implementation
public func finmon_alerts_inject(_ collector: OpaquePointer?, _ input: finmon_alert_input, _ value: Double) -> Int32 {
    abiCall {
        let monitoring = try Handles.collector(collector)
        guard let signal = AlertInput(input) else {
            throw ABIError.argument("input must be a finmon_alert_input, got \(input.rawValue)")
        }
        try monitoring.alerts.inject(signal, value.isNaN ? nil : value)
        return FINMON_OK
    }
}

@c @implementation
public func finmon_alerts_delivery_status(
    _ collector: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    abiCall {
        let monitoring = try Handles.collector(collector)
        guard let out else { throw ABIError.null("out") }
        return try returnString(monitoring.alerts.deliveryStatus.jsonString(), out)
    }
}

@c @implementation
public func finmon_alerts_render_rules(
    _ path: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    abiCall {
        let file = try CInput.optionalString(path, "path")
        guard let out else { throw ABIError.null("out") }
        var config = MonitoringConfig.defaults
        if let file { config = try MonitoringConfig.load(path: file) }
        return try returnString(AlertRulesRenderer.render(config), out)
    }
}
