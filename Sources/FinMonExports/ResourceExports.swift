import CFinMon
import FinMonCore

/// The monitor's configuration with the paths a C caller passed: NULL means the defaults
/// ("/" and "/proc"), and the cgroup root follows the proc root.
private func configuration(
    from current: SystemSampler.Configuration, diskPath: UnsafePointer<CChar>?, procRoot: UnsafePointer<CChar>?
) throws -> SystemSampler.Configuration {
    var updated = current
    updated.diskPath = try CInput.optionalString(diskPath, "disk_path") ?? "/"
    let proc = try CInput.optionalString(procRoot, "proc_root") ?? "/proc"
    updated.procRoot = proc
    updated.cgroupRoot = ResourceMonitor.cgroupRoot(forProcRoot: proc)
    return updated
}

@c @implementation
public func finmon_resource_configure(
    _ collector: OpaquePointer?, _ diskPath: UnsafePointer<CChar>?, _ procRoot: UnsafePointer<CChar>?,
    _ rssGrowthWindowSeconds: Double
) -> Int32 {
    abiCall {
        let monitor = try Handles.collector(collector).resources
        var updated = try configuration(from: monitor.configuration, diskPath: diskPath, procRoot: procRoot)
        updated.rssGrowthWindowSeconds = rssGrowthWindowSeconds
        try monitor.configure(updated)
        return FINMON_OK
    }
}

@c @implementation
public func finmon_resource_start(
    _ collector: OpaquePointer?, _ intervalSeconds: Double, _ diskPath: UnsafePointer<CChar>?,
    _ procRoot: UnsafePointer<CChar>?
) -> Int32 {
    abiCall {
        let monitor = try Handles.collector(collector).resources
        // Checked before configuring, so a refused start changes nothing.
        guard ResourceMonitor.intervalRange.contains(intervalSeconds) else {
            throw ResourceMonitorError.invalidInterval(intervalSeconds)
        }
        try monitor.configure(configuration(from: monitor.configuration, diskPath: diskPath, procRoot: procRoot))
        try monitor.start(intervalSeconds: intervalSeconds)
        return FINMON_OK
    }
}

@c @implementation
public func finmon_resource_stop(_ collector: OpaquePointer?) -> Int32 {
    abiCall {
        try Handles.collector(collector).resources.stop()
        return FINMON_OK
    }
}

@c @implementation
public func finmon_resource_interval(_ collector: OpaquePointer?, _ intervalSeconds: UnsafeMutablePointer<Double>?) -> Int32 {
    abiCall {
        let monitor = try Handles.collector(collector).resources
        guard let intervalSeconds else { throw ABIError.null("interval_seconds") }
        intervalSeconds.pointee = monitor.intervalSeconds ?? 0
        return FINMON_OK
    }
}

@c @implementation
public func finmon_resource_current_stats(
    _ collector: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    abiCall {
        let monitor = try Handles.collector(collector).resources
        guard let out else { throw ABIError.null("out") }
        guard let sample = monitor.currentStats() else {
            out.pointee = nil
            return FINMON_OK
        }
        guard let text = CInput.ownedCString(sample.jsonObject()) else {
            throw ABIError(code: FINMON_E_INTERNAL, message: "out of memory")
        }
        out.pointee = text
        return FINMON_OK
    }
}

@c @implementation
public func finmon_resource_sample_now(
    _ collector: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    abiCall {
        let sample = try Handles.collector(collector).resources.sampleNow()
        if let out {
            guard let text = CInput.ownedCString(sample.jsonObject()) else {
                throw ABIError(code: FINMON_E_INTERNAL, message: "out of memory")
            }
            out.pointee = text
        }
        return FINMON_OK
    }
}
