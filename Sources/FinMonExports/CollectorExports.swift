import CFinMon
import FinMonCore
import Glibc

@c @implementation
public func finmon_last_error() -> UnsafePointer<CChar>? {
    LastError.current.pointee.message
}

@c @implementation
public func finmon_error_last() -> UnsafePointer<finmon_error>? {
    LastError.current
}

@c @implementation
public func finmon_string_free(_ string: UnsafeMutablePointer<CChar>?) {
    free(string)
}

@c @implementation
public func finmon_collector_new(_ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    abiCall {
        guard let out else { throw ABIError.null("out") }
        let monitoring = try MetricsCollector()
        out.pointee = try Handles.issue(monitoring, in: Handles.collectors)
        return FINMON_OK
    }
}

@c @implementation
public func finmon_collector_free(_ collector: OpaquePointer?) {
    guard let collector, let object = Handles.collectors.remove(Handles.raw(collector)) else { return }
    object.stop()
    Handles.release(object)
}

@c @implementation
public func finmon_collector_stop(_ collector: OpaquePointer?) -> Int32 {
    abiCall {
        let monitoring = try Handles.collector(collector)
        if let error = monitoring.stop() {
            throw ABIError(code: FINMON_E_IO, message: "threads stopped, but the final record failed: \(error)")
        }
        return FINMON_OK
    }
}

@c @implementation
public func finmon_exporter_start(
    _ collector: OpaquePointer?, _ address: UnsafePointer<CChar>?, _ port: Int32, _ retrySeconds: Double,
    _ boundPort: UnsafeMutablePointer<Int32>?
) -> Int32 {
    abiCall {
        let monitoring = try Handles.collector(collector)
        let host = try CInput.optionalString(address, "address") ?? "127.0.0.1"
        // The config's bounds: a retry every nanosecond would burn a core while the port is busy.
        let bounds = ConfigTable.secondsBounds("monitoring.prometheus.retry_interval")
        guard bounds.contains(retrySeconds) else {
            throw ABIError.argument("retry_interval must be a number of seconds in \(bounds), got \(retrySeconds)")
        }
        let bound = try monitoring.startExporter(host: host, port: Int(port), retryInterval: retrySeconds)
        boundPort?.pointee = Int32(clamping: bound ?? -1)
        return FINMON_OK
    }
}

/// The limits the next finmon_exporter_start uses (see ExporterLimits); checked here
/// against the settings table, each error naming its argument.
@c @implementation
public func finmon_exporter_configure(
    _ collector: OpaquePointer?, _ maxConnections: Int64, _ readTimeoutSeconds: Double, _ idleTimeoutSeconds: Double
) -> Int32 {
    abiCall {
        let monitoring = try Handles.collector(collector)
        let limits = ExporterLimits(
            maxConnections: Int(clamping: maxConnections), readTimeoutSeconds: readTimeoutSeconds,
            idleTimeoutSeconds: idleTimeoutSeconds)
        try limits.validate()
        monitoring.exporterLimits.withLock { $0 = limits }
        return FINMON_OK
    }
}

/// The web config the next finmon_exporter_start serves with, loaded and checked now.
@c @implementation
public func finmon_exporter_configure_web(_ collector: OpaquePointer?, _ webConfigFile: UnsafePointer<CChar>?) -> Int32 {
    abiCall {
        let monitoring = try Handles.collector(collector)
        let web = try CInput.optionalString(webConfigFile, "web_config_file").map { path throws(ConfigError) in
            try WebConfig.load(path: path)
        }
        monitoring.exporterWebConfig.withLock { $0 = web }
        return FINMON_OK
    }
}

@c @implementation
public func finmon_exporter_stop(_ collector: OpaquePointer?) -> Int32 {
    abiCall {
        try Handles.collector(collector).stopExporter()
        return FINMON_OK
    }
}

@c @implementation
public func finmon_exporter_port(_ collector: OpaquePointer?, _ port: UnsafeMutablePointer<Int32>?) -> Int32 {
    abiCall {
        let monitoring = try Handles.collector(collector)
        guard let port else { throw ABIError.null("port") }
        switch monitoring.exporter.status {
        case .serving(let bound): port.pointee = Int32(clamping: bound)
        case .degraded, .stopped: port.pointee = -1
        }
        return FINMON_OK
    }
}

@c @implementation
public func finmon_collector_exposition(
    _ collector: OpaquePointer?, _ format: finmon_format, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
    _ length: UnsafeMutablePointer<Int>?
) -> Int32 {
    abiCall {
        let monitoring = try Handles.collector(collector)
        guard let out else { throw ABIError.null("out") }
        guard let chosen = ExpositionFormat(format) else {
            throw ABIError.argument("format must be a finmon_format (0 Prometheus text 0.0.4, 1 OpenMetrics), got \(format.rawValue)")
        }
        let bytes = TextExposition.render(monitoring.registry, format: chosen)
        guard let text = CInput.ownedCString(bytes: bytes) else { throw ABIError(code: FINMON_E_INTERNAL, message: "out of memory") }
        out.pointee = text
        length?.pointee = bytes.count
        return FINMON_OK
    }
}

@c @implementation
public func finmon_exporter_attach_exposition(
    _ collector: OpaquePointer?, _ text: UnsafePointer<CChar>?, _ textLength: Int,
    _ openMetrics: UnsafePointer<CChar>?, _ openMetricsLength: Int
) -> Int32 {
    abiCall {
        let monitoring = try Handles.collector(collector)
        guard text != nil || openMetrics != nil else {
            monitoring.registry.attach(nil)
            return FINMON_OK
        }
        let plain = try attachedBytes(text, textLength, "text")
        let open = try attachedBytes(openMetrics, openMetricsLength, "openmetrics")
        monitoring.registry.attach(AttachedExposition(text: plain, openMetrics: open))
        return FINMON_OK
    }
}

/// A copy of `length` caller bytes (size_t arrives as Int: past Int.max shows up negative).
private func attachedBytes(_ pointer: UnsafePointer<CChar>?, _ length: Int, _ what: String) throws -> [UInt8] {
    guard length >= 0 else { throw ABIError.argument("\(what)_length \(UInt(bitPattern: length)) is out of range") }
    guard length > 0 else { return [] }
    guard let pointer else { throw ABIError.null(what) }
    return Array(UnsafeRawBufferPointer(start: UnsafeRawPointer(pointer), count: length))
}

@c @implementation
public func finmon_collector_sample_value(
    _ collector: OpaquePointer?, _ name: UnsafePointer<CChar>?,
    _ labelNames: UnsafePointer<UnsafePointer<CChar>?>?, _ labelValues: UnsafePointer<UnsafePointer<CChar>?>?,
    _ count: Int, _ value: UnsafeMutablePointer<Double>?
) -> Int32 {
    abiCall {
        let monitoring = try Handles.collector(collector)
        let sampleName = try CInput.string(name, "name")
        let names = try CInput.strings(labelNames, count: count, "label_names")
        let values = try CInput.strings(labelValues, count: count, "label_values")
        guard let value else { throw ABIError.null("value") }
        monitoring.registry.collect()
        let labels = Dictionary(zip(names, values), uniquingKeysWith: { first, _ in first })
        guard let found = monitoring.registry.sampleValue(name: sampleName, labels: labels) else {
            throw ABIError(code: FINMON_E_NOT_FOUND, message: "no sample '\(sampleName)' with labels \(labels.sorted { $0.key < $1.key })")
        }
        value.pointee = found
        return FINMON_OK
    }
}

@c @implementation
public func finmon_events_next(
    _ collector: OpaquePointer?, _ timeoutSeconds: Double, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    abiCall {
        let monitoring = try Handles.collector(collector)
        guard let out else { throw ABIError.null("out") }
        guard !timeoutSeconds.isNaN, timeoutSeconds >= 0 else {
            throw ABIError.argument("timeout must be >= 0 seconds, got \(timeoutSeconds)")
        }
        out.pointee = monitoring.events.next(timeout: timeoutSeconds).flatMap { CInput.ownedCString($0.jsonLine()) }
        return FINMON_OK
    }
}

@c @implementation
public func finmon_events_close(_ collector: OpaquePointer?) -> Int32 {
    abiCall {
        try Handles.collector(collector).events.close()
        return FINMON_OK
    }
}

@c @implementation
public func finmon_after_fork_child() {
    MetricsCollector.markForkedChild()
    for monitoring in Handles.collectors.all() { monitoring.forgetThreadsAfterFork() }
}

/// Writes the final record now. NULL arguments take the configured (or default) values.
@c @implementation
public func finmon_collector_export_final(
    _ collector: OpaquePointer?, _ directory: UnsafePointer<CChar>?, _ jsonFile: UnsafePointer<CChar>?,
    _ prometheusFile: UnsafePointer<CChar>?
) -> Int32 {
    abiCall {
        let monitoring = try Handles.collector(collector)
        let export = try finalExport(monitoring, directory, jsonFile, prometheusFile)
        try monitoring.exportFinal(to: export)
        return FINMON_OK
    }
}

/// Makes finmon_collector_stop write the final record to these paths (NULL: defaults).
@c @implementation
public func finmon_collector_configure_final_export(
    _ collector: OpaquePointer?, _ directory: UnsafePointer<CChar>?, _ jsonFile: UnsafePointer<CChar>?,
    _ prometheusFile: UnsafePointer<CChar>?
) -> Int32 {
    abiCall {
        let monitoring = try Handles.collector(collector)
        let export = try finalExport(monitoring, directory, jsonFile, prometheusFile)
        monitoring.finalExport.withLock { $0 = export }
        return FINMON_OK
    }
}

private func finalExport(
    _ monitoring: MetricsCollector, _ directory: UnsafePointer<CChar>?, _ jsonFile: UnsafePointer<CChar>?,
    _ prometheusFile: UnsafePointer<CChar>?
) throws -> FinalExport {
    var export = monitoring.finalExport.withLock { $0 } ?? FinalExport()
    if let directory = try CInput.optionalString(directory, "directory") { export.directory = directory }
    if let jsonFile = try CInput.optionalString(jsonFile, "json_file") { export.jsonFile = jsonFile }
    if let prometheusFile = try CInput.optionalString(prometheusFile, "prometheus_file") { export.prometheusFile = prometheusFile }
    try export.validate()
    export.removeStaleTemporaries()
    return export
}
