import FinMonCore
import Glibc

/// Creates a collector for the parent of a multiprocess run: a new shared segment with
/// `slots` worker slots (0: 256) and the gauge mode `gauge_mode` (NULL: "latest").
@_cdecl("finmon_collector_new_multiprocess")
public func finmon_collector_new_multiprocess(
    _ slots: Int32, _ gaugeMode: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    abiCall {
        guard let out else { throw ABIError.null("out") }
        let mode = try gaugeModeArgument(gaugeMode)
        guard slots >= 0, slots <= 65_536 else { throw ABIError.argument("slots must be in 0...65536, got \(slots)") }
        let link: WorkerLink
        do {
            link = try WorkerLink.create(slots: slots == 0 ? 256 : Int(slots), gaugeMode: mode)
        } catch {
            throw ABIError(code: Status.io, message: "\(error)")
        }
        out.pointee = Handles.pointer(Handles.collectors.insert(try MetricsCollector(multiprocess: link)))
        return Status.ok
    }
}

/// Joins the multiprocess run whose segment is at `path` (a spawned worker): a collector
/// whose writes reach the parent's exporter.
@_cdecl("finmon_worker_attach")
public func finmon_worker_attach(
    _ path: UnsafePointer<CChar>?, _ gaugeMode: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    abiCall {
        guard let out else { throw ABIError.null("out") }
        let location = try CInput.string(path, "path")
        let mode = try gaugeModeArgument(gaugeMode)
        let link: WorkerLink
        do {
            link = try WorkerLink.attach(path: location, gaugeMode: mode)
        } catch {
            throw ABIError(code: Status.io, message: "\(error)")
        }
        out.pointee = Handles.pointer(Handles.collectors.insert(try MetricsCollector(multiprocess: link)))
        return Status.ok
    }
}

/// A worker's exit: its counters and histograms go to the run's totals, its slots are freed.
@_cdecl("finmon_worker_detach")
public func finmon_worker_detach() {
    WorkerLink.detachAll()
}

/// How the parent combines the gauge `name` over the run's processes: "sum", "max", "min", "latest".
@_cdecl("finmon_collector_set_gauge_mode")
public func finmon_collector_set_gauge_mode(
    _ collector: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ mode: UnsafePointer<CChar>?
) -> Int32 {
    abiCall {
        let monitoring = try Handles.collector(collector)
        guard let link = monitoring.registry.multiprocess else {
            throw ABIError(code: Status.state, message: "the collector is not multiprocess")
        }
        link.setGaugeMode(try gaugeModeArgument(mode), for: try CInput.string(name, "name"))
        return Status.ok
    }
}

/// The run's segment as JSON: path, size_bytes, slots, live_slots, entries,
/// folded_workers, claims, dropped_entries, unmirrored_writes; "null" when not multiprocess.
@_cdecl("finmon_collector_multiprocess_info")
public func finmon_collector_multiprocess_info(
    _ collector: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    abiCall {
        let monitoring = try Handles.collector(collector)
        guard let out else { throw ABIError.null("out") }
        guard let link = monitoring.registry.multiprocess else { return try CInput.give("null", to: out) }
        var text = "{\"path\": " + JSONText.quoted(link.segment.path) + ", \"slot\": \(link.currentSlot)"
        for (key, value) in link.info.sorted(by: { $0.key < $1.key }) { text += ", \"\(key)\": \(value)" }
        return try CInput.give(text + "}", to: out)
    }
}

private func gaugeModeArgument(_ pointer: UnsafePointer<CChar>?) throws -> GaugeMode {
    guard let text = try CInput.optionalString(pointer, "gauge mode") else { return .latest }
    guard let mode = GaugeMode(rawValue: text) else {
        throw ABIError.argument("gauge mode must be one of sum, max, min, latest; got '\(text)'")
    }
    return mode
}
