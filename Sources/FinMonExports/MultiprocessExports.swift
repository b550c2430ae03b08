import CFinMon
import FinMonCore
import Glibc

@c @implementation
public func finmon_collector_new_multiprocess(
    _ slots: Int32, _ gaugeMode: finmon_gauge_mode, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    abiCall {
        guard let out else { throw ABIError.null("out") }
        let mode = try gaugeModeArgument(gaugeMode, "gauge_mode")
        guard (0...65_536).contains(slots) else { throw ABIError.argument("slots must be in 0...65536 (0: 256), got \(slots)") }
        let link = try segmentCall { () throws(MultiprocessError) in
            try WorkerLink.create(slots: slots == 0 ? 256 : Int(slots), gaugeMode: mode)
        }
        out.pointee = try Handles.issue(try MetricsCollector(multiprocess: link), in: Handles.collectors)
        return FINMON_OK
    }
}

@c @implementation
public func finmon_worker_attach(_ path: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    abiCall {
        guard let out else { throw ABIError.null("out") }
        let location = try CInput.string(path, "path")
        let link = try segmentCall { () throws(MultiprocessError) in try WorkerLink.attach(path: location) }
        out.pointee = try Handles.issue(try MetricsCollector(multiprocess: link), in: Handles.collectors)
        return FINMON_OK
    }
}

@c @implementation
public func finmon_worker_detach() {
    WorkerLink.detachAll()
}

@c @implementation
public func finmon_collector_set_gauge_mode(
    _ collector: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ mode: finmon_gauge_mode
) -> Int32 {
    abiCall {
        let monitoring = try Handles.collector(collector)
        let family = try CInput.string(name, "name")
        let chosen = try gaugeModeArgument(mode, "mode")
        guard let link = monitoring.registry.multiprocess, link.isCreator else {
            throw ABIError(code: FINMON_E_STATE, message: "the collector is not the parent of a multiprocess run")
        }
        // The worker mode adds a `worker` label: a family with its own would expose it twice.
        if chosen == .worker, let known = monitoring.registry.family(named: family), known.labelNames.contains("worker") {
            throw ABIError.argument("\(family) has a label named worker already: the worker mode cannot add its own")
        }
        link.setGaugeMode(chosen, for: family)
        return FINMON_OK
    }
}

@c @implementation
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

/// A segment's failure by what the caller can do: free a slot (every one is taken) or
/// check the file (anything else).
private func segmentCall<T>(_ body: () throws(MultiprocessError) -> T) throws -> T {
    do {
        return try body()
    } catch .full(let slots) {
        throw ABIError(code: FINMON_E_STATE, message: MultiprocessError.full(slots: slots).description)
    } catch {
        throw ABIError(code: FINMON_E_IO, message: error.description)
    }
}

private func gaugeModeArgument(_ mode: finmon_gauge_mode, _ what: String) throws -> GaugeMode {
    guard let chosen = GaugeMode(mode) else {
        throw ABIError.argument("\(what) must be a finmon_gauge_mode (0 latest, 1 sum, 2 max, 3 min, 4 worker), got \(mode.rawValue)")
    }
    return chosen
}
