import CFinMon
import FinMonCore

/// What a finmon_runtime handle holds: the runtime, and the handle its collector was
/// given, freed with it.
final class RuntimeHandle: Sendable {
    let runtime: Runtime
    let collectorToken: UInt64?

    init(runtime: Runtime, collectorToken: UInt64?) {
        self.runtime = runtime
        self.collectorToken = collectorToken
    }
}

@c @implementation
public func finmon_collector_set_strict(_ collector: OpaquePointer?, _ strict: Int32) -> Int32 {
    abiCall {
        try Handles.collector(collector).hooks.isStrict = strict != 0
        return FINMON_OK
    }
}

@c @implementation
public func finmon_collector_strict(_ collector: OpaquePointer?, _ strict: UnsafeMutablePointer<Int32>?) -> Int32 {
    abiCall {
        let object = try Handles.collector(collector)
        guard let strict else { throw ABIError.null("strict") }
        strict.pointee = object.hooks.isStrict ? 1 : 0
        return FINMON_OK
    }
}

@c @implementation
public func finmon_runtime_start(
    _ configPath: UnsafePointer<CChar>?, _ overrides: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    abiCall {
        guard let out else { throw ABIError.null("out") }
        let path = try CInput.optionalString(configPath, "config_path")
        var config = try path.map { path throws(ConfigError) in try MonitoringConfig.load(path: path) } ?? .defaults
        if let text = try CInput.optionalString(overrides, "overrides") {
            try config.apply(overrides: text, name: "overrides")
        }
        let runtime = try Runtime.start(config: config)
        var token: UInt64?
        if let collector = runtime.collector {
            token = Handles.collectors.insert(collector)
            guard token != nil else {
                runtime.stop()
                throw ABIError(code: FINMON_E_STATE, message: "too many live finmon_collector handles; free some first")
            }
        }
        guard let handle = Handles.runtimes.insert(RuntimeHandle(runtime: runtime, collectorToken: token)) else {
            runtime.stop()
            if let token, let collector = Handles.collectors.remove(token) { Handles.release(collector) }
            throw ABIError(code: FINMON_E_STATE, message: "too many live finmon_runtime handles; free some first")
        }
        out.pointee = Handles.pointer(handle)
        return FINMON_OK
    }
}

@c @implementation
public func finmon_runtime_stop(_ runtime: OpaquePointer?) -> Int32 {
    abiCall {
        if let error = try Handles.runtime(runtime).runtime.stop() {
            throw ABIError(code: FINMON_E_IO, message: "threads stopped, but the final record failed: \(error)")
        }
        return FINMON_OK
    }
}

@c @implementation
public func finmon_runtime_free(_ runtime: OpaquePointer?) {
    guard let runtime, let handle = Handles.runtimes.remove(Handles.raw(runtime)) else { return }
    handle.runtime.stop()
    if let token = handle.collectorToken, let collector = Handles.collectors.remove(token) {
        Handles.release(collector)
    }
}

@c @implementation
public func finmon_runtime_collector(_ runtime: OpaquePointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    abiCall {
        let handle = try Handles.runtime(runtime)
        guard let out else { throw ABIError.null("out") }
        out.pointee = handle.collectorToken.flatMap(Handles.pointer)
        return FINMON_OK
    }
}

@c @implementation
public func finmon_runtime_config(
    _ runtime: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    abiCall {
        let handle = try Handles.runtime(runtime)
        guard let out else { throw ABIError.null("out") }
        return try CInput.give(handle.runtime.config.jsonString(), to: out)
    }
}

@c @implementation
public func finmon_runtime_port(_ runtime: OpaquePointer?, _ port: UnsafeMutablePointer<Int32>?) -> Int32 {
    abiCall {
        let handle = try Handles.runtime(runtime)
        guard let port else { throw ABIError.null("port") }
        port.pointee = Int32(clamping: handle.runtime.port ?? -1)
        return FINMON_OK
    }
}
