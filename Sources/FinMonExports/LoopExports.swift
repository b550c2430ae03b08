import CFinMon
import FinMonCore

/// The flag bits finmon.h defines (finmon_loop_flag).
private let hasSharpe = Int32(bitPattern: FINMON_LOOP_HAS_SHARPE.rawValue)
private let hasMaxDrawdown = Int32(bitPattern: FINMON_LOOP_HAS_MAX_DRAWDOWN.rawValue)

/// An iteration number from C, as a Swift Int without trapping where Int is narrower.
private func iterationValue(_ value: Int64, _ what: String) throws -> Int {
    guard let converted = Int(exactly: value) else {
        throw ABIError.argument("\(what) \(value) does not fit this platform's integer")
    }
    return converted
}

@c @implementation
public func finmon_loop_record_iteration(
    _ collector: OpaquePointer?, _ iteration: Int64, _ success: Int32, _ executionSeconds: Double,
    _ sharpe: Double, _ maxDrawdown: Double, _ flags: Int32
) -> Int32 {
    abiCall {
        let monitoring = try Handles.collector(collector)
        guard flags & ~(hasSharpe | hasMaxDrawdown) == 0 else {
            throw ABIError.argument("flags must combine FINMON_LOOP_HAS_SHARPE (1) and FINMON_LOOP_HAS_MAX_DRAWDOWN (2), got \(flags)")
        }
        // Values the hook cannot use are skipped and counted, unless the collector is strict.
        try monitoring.recordIteration(
            iteration: try iterationValue(iteration, "iteration"),
            success: success != 0,
            executionSeconds: executionSeconds,
            sharpe: flags & hasSharpe != 0 ? sharpe : nil,
            maxDrawdown: flags & hasMaxDrawdown != 0 ? maxDrawdown : nil
        )
        return FINMON_OK
    }
}

@c @implementation
public func finmon_loop_success_rate(
    _ collector: OpaquePointer?, _ rate: UnsafeMutablePointer<Double>?, _ windowFull: UnsafeMutablePointer<Int32>?
) -> Int32 {
    abiCall {
        let monitoring = try Handles.collector(collector)
        guard let rate else { throw ABIError.null("rate") }
        let snapshot = monitoring.loop.snapshot()
        rate.pointee = snapshot.successRateSoFar ?? .nan
        windowFull?.pointee = snapshot.successRate == nil ? 0 : 1
        return FINMON_OK
    }
}

@c @implementation
public func finmon_diversity_record(
    _ collector: OpaquePointer?, _ iteration: Int64, _ diversity: Double, _ uniqueCount: Int64, _ totalCount: Int64
) -> Int32 {
    abiCall {
        let monitoring = try Handles.collector(collector)
        try monitoring.recordDiversity(
            iteration: try iterationValue(iteration, "iteration"),
            diversity: diversity,
            uniqueCount: try iterationValue(uniqueCount, "unique_count"),
            totalCount: try iterationValue(totalCount, "total_count")
        )
        return FINMON_OK
    }
}

@c @implementation
public func finmon_diversity_record_champion_update(
    _ collector: OpaquePointer?, _ iteration: Int64, _ hasOldSharpe: Int32, _ oldSharpe: Double, _ newSharpe: Double
) -> Int32 {
    abiCall {
        let monitoring = try Handles.collector(collector)
        try monitoring.recordChampionUpdate(
            iteration: try iterationValue(iteration, "iteration"),
            oldSharpe: hasOldSharpe != 0 ? oldSharpe : nil,
            newSharpe: newSharpe
        )
        return FINMON_OK
    }
}

@c @implementation
public func finmon_diversity_check_collapse(
    _ collector: OpaquePointer?, _ window: Int32, _ threshold: Double, _ out: UnsafeMutablePointer<Int32>?
) -> Int32 {
    abiCall {
        let monitoring = try Handles.collector(collector)
        guard let out else { throw ABIError.null("out") }
        // The core answers false for these; a caller asking directly deserves to hear why.
        guard window >= 1 else { throw ABIError.argument("collapse window must be at least 1, got \(window)") }
        guard !threshold.isNaN else { throw ABIError.argument("collapse threshold must be a number, got NaN") }
        out.pointee = monitoring.diversity.checkDiversityCollapse(window: Int(window), threshold: threshold) ? 1 : 0
        return FINMON_OK
    }
}

@c @implementation
public func finmon_diversity_staleness(
    _ collector: OpaquePointer?, _ currentIteration: Int64, _ lastUpdateIteration: Int64,
    _ out: UnsafeMutablePointer<Int64>?
) -> Int32 {
    abiCall {
        let monitoring = try Handles.collector(collector)
        guard let out else { throw ABIError.null("out") }
        let staleness = try monitoring.calculateStaleness(
            currentIteration: try iterationValue(currentIteration, "current_iteration"),
            lastUpdateIteration: try iterationValue(lastUpdateIteration, "last_update_iteration")
        )
        out.pointee = Int64(clamping: staleness)
        return FINMON_OK
    }
}

@c @implementation
public func finmon_diversity_compute(
    _ values: UnsafePointer<Double>?, _ rows: Int, _ cols: Int,
    _ lower: UnsafePointer<Double>?, _ upper: UnsafePointer<Double>?, _ out: UnsafeMutablePointer<Double>?
) -> Int32 {
    abiCall {
        guard let out else { throw ABIError.null("out") }
        let buffer = try diversityBuffer(values, rows: rows, cols: cols)
        guard let lower else { throw ABIError.null("lower") }
        guard let upper else { throw ABIError.null("upper") }
        var bounds: [ParameterRange] = []
        bounds.reserveCapacity(cols)
        for column in 0..<cols {
            bounds.append(try ParameterRange(lower: lower[column], upper: upper[column], column: column))
        }
        // Borrowed, not copied: a NumPy array's data is read in place.
        out.pointee = try DiversityMath.compute(flat: buffer, rows: rows, cols: cols, bounds: bounds)
        return FINMON_OK
    }
}

@c @implementation
public func finmon_diversity_ranges(
    _ values: UnsafePointer<Double>?, _ rows: Int, _ cols: Int,
    _ lower: UnsafeMutablePointer<Double>?, _ upper: UnsafeMutablePointer<Double>?
) -> Int32 {
    abiCall {
        guard let lower else { throw ABIError.null("lower") }
        guard let upper else { throw ABIError.null("upper") }
        let ranges = try DiversityMath.ranges(flat: try diversityBuffer(values, rows: rows, cols: cols),
                                              rows: rows, cols: cols)
        for (column, range) in ranges.enumerated() {
            lower[column] = range.lower
            upper[column] = range.upper
        }
        return FINMON_OK
    }
}

@c @implementation
public func finmon_diversity_genotype(
    _ codes: UnsafePointer<UInt64>?, _ rows: Int, _ cols: Int, _ out: UnsafeMutablePointer<Double>?
) -> Int32 {
    abiCall {
        guard let out else { throw ABIError.null("out") }
        let count = try diversityCount(rows: rows, cols: cols)
        guard let codes else { throw ABIError.null("codes") }
        out.pointee = try DiversityMath.genotype(flat: UnsafeBufferPointer(start: codes, count: count), rows: rows, cols: cols)
        return FINMON_OK
    }
}

/// rows * cols, checked before any caller array is read: size_t arrives as Int, so a value
/// past Int.max shows up negative; an empty shape is refused, so `cols` bounds can be read.
private func diversityCount(rows: Int, cols: Int) throws -> Int {
    guard rows >= 0, cols >= 0 else { throw DiversityMathError.negativeShape(rows: rows, cols: cols) }
    guard rows > 0 else { throw DiversityMathError.emptyPopulation }
    guard cols > 0 else { throw DiversityMathError.noDimensions }
    let (count, overflow) = rows.multipliedReportingOverflow(by: cols)
    guard !overflow else { throw DiversityMathError.shapeOverflow(rows: rows, cols: cols) }
    return count
}

/// The caller's `rows x cols` values as a buffer.
private func diversityBuffer(_ values: UnsafePointer<Double>?, rows: Int, cols: Int) throws -> UnsafeBufferPointer<Double> {
    let count = try diversityCount(rows: rows, cols: cols)
    guard let values else { throw ABIError.null("values") }
    return UnsafeBufferPointer(start: values, count: count)
}

@c @implementation
public func finmon_diversity_unique_fraction(
    _ fingerprints: UnsafePointer<UnsafePointer<CChar>?>?, _ lengths: UnsafePointer<Int>?, _ count: Int,
    _ fraction: UnsafeMutablePointer<Double>?, _ uniqueCount: UnsafeMutablePointer<Int>?
) -> Int32 {
    abiCall {
        guard let fraction else { throw ABIError.null("fraction") }
        guard count >= 0 else { throw ABIError.argument("count \(UInt(bitPattern: count)) is out of range") }
        var keys: [[UInt8]] = []
        if count > 0 {
            guard let fingerprints else { throw ABIError.null("fingerprints") }
            guard let lengths else { throw ABIError.null("lengths") }
            keys.reserveCapacity(count)
            for index in 0..<count {
                let length = lengths[index]
                guard length >= 0 else {
                    throw ABIError.argument("lengths[\(index)] \(UInt(bitPattern: length)) is out of range")
                }
                guard length > 0 else {
                    keys.append([])
                    continue
                }
                guard let start = fingerprints[index] else { throw ABIError.null("fingerprints[\(index)]") }
                // Bytes, compared exactly: Python's str equality is by code point, which the
                // UTF-8 bytes preserve and Swift's String equality would not.
                let bytes = UnsafeRawBufferPointer(start: UnsafeRawPointer(start), count: length)
                keys.append(Array(bytes))
            }
        }
        fraction.pointee = DiversityMath.uniqueFraction(fingerprints: keys)
        uniqueCount?.pointee = DiversityMath.uniqueCount(fingerprints: keys)
        return FINMON_OK
    }
}

/// Sets the rolling success-rate window (iterations) and the diversity history size;
/// meant for start-up. A changed size starts that monitor's rolling state over.
@c @implementation
public func finmon_loop_configure(_ collector: OpaquePointer?, _ successWindow: Int64, _ historySize: Int64) -> Int32 {
    abiCall {
        let monitoring = try Handles.collector(collector)
        // The bounds of the config keys these come from, so a valid file is always accepted here.
        let windows = ConfigTable.integerRange("monitoring.alerts.success_rate.window_iterations")
        let histories = ConfigTable.integerRange("monitoring.diversity_monitor.history_size")
        guard let window = Int(exactly: successWindow), windows.contains(window) else {
            throw ABIError.argument("success_window must be in \(windows), got \(successWindow)")
        }
        guard let history = Int(exactly: historySize), histories.contains(history) else {
            throw ABIError.argument("history_size must be in \(histories), got \(historySize)")
        }
        try monitoring.loop.configure(successWindow: window)
        try monitoring.diversity.configure(historySize: history)
        return FINMON_OK
    }
}
