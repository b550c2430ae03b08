import CFinMon
import FinMonCore

@c @implementation
public func finmon_containers_configure(
    _ collector: OpaquePointer?, _ endpoint: UnsafePointer<CChar>?, _ label: UnsafePointer<CChar>?,
    _ orphanStatuses: UnsafePointer<UnsafePointer<CChar>?>?, _ statusCount: Int, _ requestTimeoutSeconds: Double,
    _ orphanThreshold: Int32, _ autoCleanup: Int32
) -> Int32 {
    abiCall {
        let monitoring = try Handles.collector(collector)
        let configured = try CInput.optionalString(endpoint, "endpoint")
        let statuses = try CInput.strings(orphanStatuses, count: statusCount, "orphan_statuses")
        let settings = try ContainerMonitorSettings.resolving(
            endpoint: configured,
            label: try CInput.optionalString(label, "label") ?? ContainerMonitorSettings.defaultLabel,
            orphanStatuses: statuses.isEmpty ? ContainerMonitorSettings.defaultOrphanStatuses : statuses,
            requestTimeoutSeconds: requestTimeoutSeconds,
            orphanThreshold: Int(orphanThreshold),
            autoCleanup: autoCleanup != 0)
        monitoring.containers.configure(settings)
        return FINMON_OK
    }
}

@c @implementation
public func finmon_containers_record_created(_ collector: OpaquePointer?, _ containerID: UnsafePointer<CChar>?) -> Int32 {
    abiCall {
        let monitoring = try Handles.collector(collector)
        try monitoring.recordContainer(.created, id: try CInput.string(containerID, "container_id"))
        return FINMON_OK
    }
}

@c @implementation
public func finmon_containers_record_stats(_ collector: OpaquePointer?, _ containerID: UnsafePointer<CChar>?) -> Int32 {
    abiCall {
        let monitoring = try Handles.collector(collector)
        try monitoring.recordContainer(.stats, id: try CInput.string(containerID, "container_id"))
        return FINMON_OK
    }
}

@c @implementation
public func finmon_containers_record_cleanup(
    _ collector: OpaquePointer?, _ containerID: UnsafePointer<CChar>?, _ success: Int32
) -> Int32 {
    abiCall {
        let monitoring = try Handles.collector(collector)
        try monitoring.recordContainer(.cleanup(success: success != 0), id: try CInput.string(containerID, "container_id"))
        return FINMON_OK
    }
}

@c @implementation
public func finmon_containers_scan_orphans(
    _ collector: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    abiCall {
        let monitoring = try Handles.collector(collector)
        guard let out else { throw ABIError.null("out") }
        let ids = try monitoring.containers.scanOrphans()
        out.pointee = CInput.ownedCString("[" + ids.map(JSONText.quoted).joined(separator: ",") + "]")
        return FINMON_OK
    }
}

@c @implementation
public func finmon_containers_cleanup_orphans(_ collector: OpaquePointer?, _ removed: UnsafeMutablePointer<Int64>?) -> Int32 {
    abiCall {
        let monitoring = try Handles.collector(collector)
        guard let removed else { throw ABIError.null("removed") }
        removed.pointee = Int64(try monitoring.containers.cleanupOrphans())
        return FINMON_OK
    }
}

@c @implementation
public func finmon_containers_start_polling(_ collector: OpaquePointer?, _ intervalSeconds: Double) -> Int32 {
    abiCall {
        let monitoring = try Handles.collector(collector)
        try monitoring.containers.startPolling(intervalSeconds: intervalSeconds)
        return FINMON_OK
    }
}

@c @implementation
public func finmon_containers_stop_polling(_ collector: OpaquePointer?) -> Int32 {
    abiCall {
        try Handles.collector(collector).containers.stopPolling()
        return FINMON_OK
    }
}

@c @implementation
public func finmon_containers_status(
    _ collector: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    abiCall {
        let monitoring = try Handles.collector(collector)
        guard let out else { throw ABIError.null("out") }
        out.pointee = CInput.ownedCString(monitoring.containers.status().json)
        return FINMON_OK
    }
}

@c @implementation
public func finmon_containers_remove(
    _ collector: OpaquePointer?, _ containerID: UnsafePointer<CChar>?, _ removed: UnsafeMutablePointer<Int32>?
) -> Int32 {
    abiCall {
        let monitoring = try Handles.collector(collector)
        let id = try CInput.string(containerID, "container_id")
        let wasRemoved = try monitoring.containers.removeContainer(id: id)
        removed?.pointee = wasRemoved ? 1 : 0
        return FINMON_OK
    }
}
