import CFinMon
import FinMonCore

/// One update of one series: the handle is checked, the core's error becomes the status.
private func updating(_ series: OpaquePointer?, _ update: (Series) throws -> Void) -> Int32 {
    abiCall {
        try update(Handles.series(series))
        return FINMON_OK
    }
}

@c @implementation
public func finmon_series_set(_ series: OpaquePointer?, _ value: Double) -> Int32 {
    updating(series) { try $0.set(value) }
}

@c @implementation
public func finmon_series_inc(_ series: OpaquePointer?, _ amount: Double) -> Int32 {
    updating(series) { try $0.inc(amount) }
}

@c @implementation
public func finmon_series_dec(_ series: OpaquePointer?, _ amount: Double) -> Int32 {
    updating(series) { try $0.dec(amount) }
}

@c @implementation
public func finmon_series_observe(_ series: OpaquePointer?, _ value: Double) -> Int32 {
    updating(series) { try $0.observe(value) }
}

@c @implementation
public func finmon_series_get(_ series: OpaquePointer?, _ value: UnsafeMutablePointer<Double>?) -> Int32 {
    abiCall {
        let one = try Handles.series(series)
        guard let value else { throw ABIError.null("value") }
        value.pointee = one.value
        return FINMON_OK
    }
}

@c @implementation
public func finmon_series_cell(_ series: OpaquePointer?, _ cell: UnsafeMutablePointer<UnsafeMutablePointer<Double>?>?) -> Int32 {
    abiCall {
        let one = try Handles.series(series)
        guard let cell else { throw ABIError.null("cell") }
        guard one.type == .gauge else {
            throw MetricsError.wrongType(metric: one.familyName, type: one.type, operation: "cell")
        }
        // A store into the cell would bypass the write to this process's slot.
        guard !one.isLinked else {
            throw ABIError(code: FINMON_E_STATE, message: "\(one.familyName) belongs to a multiprocess collector: set it with finmon_series_set")
        }
        cell.pointee = CellPins.pin(one).assumingMemoryBound(to: Double.self)
        return FINMON_OK
    }
}

@c @implementation
public func finmon_series_shard(
    _ series: OpaquePointer?, _ cell: UnsafeMutablePointer<UnsafeMutablePointer<Double>?>?,
    _ words: UnsafeMutablePointer<Int>?
) -> Int32 {
    abiCall {
        let one = try Handles.series(series)
        guard let cell else { throw ABIError.null("cell") }
        guard one.type != .gauge else {
            throw MetricsError.wrongType(metric: one.familyName, type: one.type, operation: "shard")
        }
        // The shard would not reach this process's slot of the run's segment.
        guard !one.isLinked else {
            throw ABIError(code: FINMON_E_STATE, message: "\(one.familyName) belongs to a multiprocess collector: update it with a call")
        }
        words?.pointee = one.cellWords
        cell.pointee = CellPins.pin(one).assumingMemoryBound(to: Double.self)
        return FINMON_OK
    }
}

@c @implementation
public func finmon_series_removals(_ count: UnsafeMutablePointer<UnsafeMutablePointer<UInt64>?>?) -> Int32 {
    abiCall {
        guard let count else { throw ABIError.null("count") }
        count.pointee = Series.removalsAddress.assumingMemoryBound(to: UInt64.self)
        return FINMON_OK
    }
}

@c @implementation
public func finmon_series_cell_release(_ cell: UnsafePointer<Double>?) -> Int32 {
    abiCall {
        guard let cell else { throw ABIError.null("cell") }
        guard CellPins.release(UnsafeRawPointer(cell)) else {
            throw ABIError.argument("the cell is not one finmon_series_cell returned (or it was released already)")
        }
        return FINMON_OK
    }
}

/// Applies `count` updates in one crossing. Every handle and value is checked before any
/// update is applied, so a bad entry changes nothing; `failed_index` then names it.
@c @implementation
public func finmon_batch_apply(
    _ handles: UnsafePointer<UInt64>?, _ ops: UnsafePointer<UInt8>?, _ values: UnsafePointer<Double>?,
    _ count: Int, _ failedIndex: UnsafeMutablePointer<Int>?
) -> Int32 {
    abiCall {
        let n = try CInput.count(count, "count")
        guard n > 0 else { return FINMON_OK }
        guard let handles else { throw ABIError.null("handles") }
        guard let ops else { throw ABIError.null("ops") }
        guard let values else { throw ABIError.null("values") }
        // One locked section checks every entry, then applies them: no lock, retain or
        // allocation per entry (the table keeps each series alive while its lock is held).
        // What failed is reported after the lock is released.
        let failure: BatchFailure? = Handles.series.withLockedLookup { lookup in
            for i in 0..<n {
                guard let found = lookup(handles[i]) else { return BatchFailure(index: i, kind: .handle) }
                let failure = found._withUnsafeGuaranteedRef { series -> BatchFailure? in
                    if series.isRemoved { return BatchFailure(index: i, kind: .removed(series)) }
                    guard let op = BatchOp(ops[i]) else { return BatchFailure(index: i, kind: .op(ops[i])) }
                    do throws(MetricsError) {
                        try op.validate(series, values[i])
                    } catch {
                        return BatchFailure(index: i, kind: .value(error))
                    }
                    return nil
                }
                if let failure { return failure }
            }
            for i in 0..<n {
                // Validated above; the only failures left would be type errors, already excluded.
                lookup(handles[i])?._withUnsafeGuaranteedRef { try? BatchOp(ops[i])?.apply($0, values[i]) }
            }
            return nil
        }
        guard let failure else { return FINMON_OK }
        failedIndex?.pointee = failure.index
        switch failure.kind {
        case .handle:
            throw Handles.wrongHandle(handles[failure.index], in: Handles.series, "handles[\(failure.index)]")
        case .removed(let series):
            _ = Handles.live(series)  // frees the removed series' handle, as a single call does
            throw Handles.wrongHandle(handles[failure.index], in: Handles.series, "handles[\(failure.index)]")
        case .op(let byte):
            throw ABIError.argument("ops[\(failure.index)] = \(byte); use 0 set, 1 inc, 2 dec, 3 observe")
        case .value(let error):
            throw error
        }
    }
}

/// The first entry of a batch that cannot be applied, and why.
private struct BatchFailure: Sendable {
    enum Kind: Sendable {
        case handle
        case removed(Series)
        case op(UInt8)
        case value(MetricsError)
    }

    let index: Int
    let kind: Kind
}

/// finmon_batch_op: what one entry of finmon_batch_apply does.
enum BatchOp {
    case set, inc, dec, observe

    /// nil for a byte that is no finmon_batch_op.
    init?(_ byte: UInt8) {
        switch finmon_batch_op(rawValue: UInt32(byte)) {
        case FINMON_OP_SET: self = .set
        case FINMON_OP_INC: self = .inc
        case FINMON_OP_DEC: self = .dec
        case FINMON_OP_OBSERVE: self = .observe
        default: return nil
        }
    }

    func validate(_ series: Series, _ value: Double) throws(MetricsError) {
        switch (self, series.type) {
        case (.set, .gauge), (.dec, .gauge), (.inc, .gauge): return
        case (.inc, .counter):
            guard value.isFinite, value >= 0 else {
                throw .invalidValue(metric: series.familyName, reason: "a counter can only be increased by a finite, non-negative amount, got \(value)")
            }
        case (.observe, .histogram):
            guard !value.isNaN else { throw .invalidValue(metric: series.familyName, reason: "a histogram cannot observe NaN") }
        default:
            throw .wrongType(metric: series.familyName, type: series.type, operation: "\(self)")
        }
    }

    func apply(_ series: Series, _ value: Double) throws(MetricsError) {
        switch self {
        case .set: try series.set(value)
        case .inc: try series.inc(value)
        case .dec: try series.dec(value)
        case .observe: try series.observe(value)
        }
    }
}
