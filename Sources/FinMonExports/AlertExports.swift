import FinMonCore

/// finmon_alert_input's values, in header order.
private let alertInputs: [AlertInput] = [
    .memoryPercent, .cpuPercent, .diversity, .championStaleness, .successRate, .orphanedContainers, .iteration,
    .residentMemoryBytes, .residentMemoryGrowth, .memoryLimitBytes, .secondsSinceLastIteration,
]

/// The name given to config text in error messages when the caller gives none.
private let defaultTextName = "<config text>"

private func returnString(_ text: String, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) throws -> Int32 {
    guard let owned = CInput.ownedCString(text) else { throw ABIError(code: Status.internal, message: "out of memory") }
    out.pointee = owned
    return Status.ok
}

private func parseConfig(_ text: UnsafePointer<CChar>?, _ fileName: UnsafePointer<CChar>?) throws -> MonitoringConfig {
    let yaml = try CInput.string(text, "yaml_text")
    let name = try CInput.optionalString(fileName, "file_name") ?? defaultTextName
    return try MonitoringConfig.parse(text: yaml, fileName: name)
}

@_cdecl("finmon_config_load")
public func finmon_config_load(
    _ path: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    abiCall {
        let file = try CInput.string(path, "path")
        guard let out else { throw ABIError.null("out") }
        return try returnString(MonitoringConfig.load(path: file).jsonString(), out)
    }
}

@_cdecl("finmon_config_parse")
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

@_cdecl("finmon_alerts_configure_file")
public func finmon_alerts_configure_file(_ collector: OpaquePointer?, _ path: UnsafePointer<CChar>?) -> Int32 {
    abiCall {
        let monitoring = try Handles.collector(collector)
        let config = try MonitoringConfig.load(path: try CInput.string(path, "path"))
        monitoring.alerts.configure(from: config)
        return Status.ok
    }
}

@_cdecl("finmon_alerts_configure_text")
public func finmon_alerts_configure_text(
    _ collector: OpaquePointer?, _ text: UnsafePointer<CChar>?, _ fileName: UnsafePointer<CChar>?
) -> Int32 {
    abiCall {
        let monitoring = try Handles.collector(collector)
        monitoring.alerts.configure(from: try parseConfig(text, fileName))
        return Status.ok
    }
}

@_cdecl("finmon_alerts_evaluate")
public func finmon_alerts_evaluate(
    _ collector: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    abiCall {
        let monitoring = try Handles.collector(collector)
        let happened = try monitoring.alerts.evaluate()
        guard let out else { return Status.ok }
        return try returnString(AlertEvent.jsonArray(happened), out)
    }
}

@_cdecl("finmon_alerts_active")
public func finmon_alerts_active(
    _ collector: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    abiCall {
        let monitoring = try Handles.collector(collector)
        guard let out else { throw ABIError.null("out") }
        return try returnString(AlertEvent.jsonArray(monitoring.alerts.activeAlerts), out)
    }
}

@_cdecl("finmon_alerts_start")
public func finmon_alerts_start(_ collector: OpaquePointer?) -> Int32 {
    abiCall {
        try Handles.collector(collector).alerts.start()
        return Status.ok
    }
}

@_cdecl("finmon_alerts_stop")
public func finmon_alerts_stop(_ collector: OpaquePointer?) -> Int32 {
    abiCall {
        try Handles.collector(collector).alerts.stop()
        return Status.ok
    }
}

@_cdecl("finmon_alerts_running")
public func finmon_alerts_running(_ collector: OpaquePointer?, _ out: UnsafeMutablePointer<Int32>?) -> Int32 {
    abiCall {
        let monitoring = try Handles.collector(collector)
        guard let out else { throw ABIError.null("out") }
        out.pointee = monitoring.alerts.isRunning ? 1 : 0
        return Status.ok
    }
}

@_cdecl("finmon_alerts_inject")
public func finmon_alerts_inject(_ collector: OpaquePointer?, _ input: Int32, _ value: Double) -> Int32 {
    abiCall {
        let monitoring = try Handles.collector(collector)
        guard let index = Int(exactly: input), alertInputs.indices.contains(index) else {
            throw ABIError.argument("input must be a finmon_alert_input (0...\(alertInputs.count - 1)), got \(input)")
        }
        try monitoring.alerts.inject(alertInputs[index], value.isNaN ? nil : value)
        return Status.ok
    }
}

@_cdecl("finmon_alerts_delivery_status")
public func finmon_alerts_delivery_status(
    _ collector: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    abiCall {
        let monitoring = try Handles.collector(collector)
        guard let out else { throw ABIError.null("out") }
        return try returnString(monitoring.alerts.deliveryStatus.jsonString(), out)
    }
}

@_cdecl("finmon_alerts_render_rules")
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
