import CFinMon
import FinMonCore

@c @implementation
public func finmon_metric_register(
    _ collector: OpaquePointer?, _ type: finmon_metric_type, _ name: UnsafePointer<CChar>?, _ help: UnsafePointer<CChar>?,
    _ labelNames: UnsafePointer<UnsafePointer<CChar>?>?, _ labelCount: Int,
    _ buckets: UnsafePointer<Double>?, _ bucketCount: Int, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    abiCall {
        let monitoring = try Handles.collector(collector)
        guard let metricType = MetricType(type) else {
            throw ABIError(code: FINMON_E_WRONG_TYPE, message: "metric type must be 0 (counter), 1 (gauge) or 2 (histogram), got \(type.rawValue)")
        }
        let metricName = try CInput.string(name, "name")
        let helpText = try CInput.string(help, "help")
        let labels = try CInput.strings(labelNames, count: labelCount, "label_names")
        let bounds = bucketCount == 0 && buckets == nil ? nil : try CInput.doubles(buckets, count: bucketCount, "buckets")
        guard let out else { throw ABIError.null("out") }
        let family = try monitoring.registry.register(metricType, name: metricName, help: helpText, labelNames: labels, buckets: bounds)
        out.pointee = try Handles.handle(for: family)
        return FINMON_OK
    }
}

@c @implementation
public func finmon_metric_lookup(
    _ collector: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    abiCall {
        let monitoring = try Handles.collector(collector)
        let metricName = try CInput.string(name, "name")
        guard let out else { throw ABIError.null("out") }
        guard let family = monitoring.registry.family(named: metricName) else {
            throw ABIError(code: FINMON_E_NOT_FOUND, message: "no metric named '\(metricName)' is registered")
        }
        out.pointee = try Handles.handle(for: family)
        return FINMON_OK
    }
}

@c @implementation
public func finmon_metric_unregister(_ collector: OpaquePointer?, _ metric: OpaquePointer?) -> Int32 {
    abiCall {
        let monitoring = try Handles.collector(collector)
        let family = try Handles.metric(metric)
        guard monitoring.registry.family(named: family.name) === family else {
            throw ABIError(code: FINMON_E_NOT_FOUND, message: "metric '\(family.name)' is not registered with this collector")
        }
        monitoring.registry.unregister(family.name)
        Handles.release(family)
        return FINMON_OK
    }
}

/// The series for these label values. With `label_names` NULL the values are in the
/// family's label order; otherwise they are matched to the family's labels by name.
/// Returns FINMON_DROPPED (1) when the family is full and the series was not stored.
@c @implementation
public func finmon_metric_labels(
    _ metric: OpaquePointer?, _ labelNames: UnsafePointer<UnsafePointer<CChar>?>?,
    _ labelValues: UnsafePointer<UnsafePointer<CChar>?>?, _ count: Int, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    abiCall {
        let family = try Handles.metric(metric)
        let values = try labelValuesInOrder(family, labelNames, labelValues, count)
        guard let out else { throw ABIError.null("out") }
        let series = try family.labels(values)
        out.pointee = try Handles.handle(for: series)
        return series === family.overflowSink ? FINMON_DROPPED : FINMON_OK
    }
}

@c @implementation
public func finmon_metric_remove(
    _ metric: OpaquePointer?, _ labelNames: UnsafePointer<UnsafePointer<CChar>?>?,
    _ labelValues: UnsafePointer<UnsafePointer<CChar>?>?, _ count: Int, _ removed: UnsafeMutablePointer<Int32>?
) -> Int32 {
    abiCall {
        let family = try Handles.metric(metric)
        let values = try labelValuesInOrder(family, labelNames, labelValues, count)
        let series = try family.remove(values)
        if let series { Handles.release(series) }
        removed?.pointee = series == nil ? 0 : 1
        return FINMON_OK
    }
}

@c @implementation
public func finmon_metric_clear(_ metric: OpaquePointer?) -> Int32 {
    abiCall {
        let family = try Handles.metric(metric)
        for series in family.clear() { Handles.release(series) }
        return FINMON_OK
    }
}

@c @implementation
public func finmon_metric_series_count(_ metric: OpaquePointer?, _ count: UnsafeMutablePointer<Int>?) -> Int32 {
    abiCall {
        let family = try Handles.metric(metric)
        guard let count else { throw ABIError.null("count") }
        count.pointee = family.seriesCount
        return FINMON_OK
    }
}

private func labelValuesInOrder(
    _ family: MetricFamily, _ labelNames: UnsafePointer<UnsafePointer<CChar>?>?,
    _ labelValues: UnsafePointer<UnsafePointer<CChar>?>?, _ count: Int
) throws -> [String] {
    let values = try CInput.strings(labelValues, count: count, "label_values")
    guard labelNames != nil else { return values }
    let names = try CInput.strings(labelNames, count: count, "label_names")
    var named: [String: String] = [:]
    for (name, value) in zip(names, values) {
        guard named.updateValue(value, forKey: name) == nil else {
            throw MetricsError.duplicateLabelName(name)
        }
    }
    return try family.orderedValues(named)
}

/// The family's definition as JSON: {"name","help","type","labels":[...],"buckets":[...]}.
@c @implementation
public func finmon_metric_describe(_ metric: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    abiCall {
        let family = try Handles.metric(metric)
        guard let out else { throw ABIError.null("out") }
        var json = "{\"name\":" + JSONText.quoted(family.name) + ",\"help\":" + JSONText.quoted(family.help)
        json += ",\"type\":" + JSONText.quoted(family.type.description) + ",\"labels\":["
        json += family.labelNames.map(JSONText.quoted).joined(separator: ",")
        json += "],\"buckets\":[" + family.upperBounds.dropLast().map(JSONText.number).joined(separator: ",") + "]}"
        out.pointee = CInput.ownedCString(json)
        return FINMON_OK
    }
}

@c @implementation
public func finmon_metric_labels_packed(
    _ metric: OpaquePointer?, _ values: UnsafePointer<CChar>?, _ length: Int, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    abiCall {
        let family = try Handles.metric(metric)
        let key = try CInput.labelKey(values, length, of: family)
        guard let out else { throw ABIError.null("out") }
        let series = family.labels(key: key)
        out.pointee = try Handles.handle(for: series)
        return series === family.overflowSink ? FINMON_DROPPED : FINMON_OK
    }
}

@c @implementation
public func finmon_metric_remove_packed(
    _ metric: OpaquePointer?, _ values: UnsafePointer<CChar>?, _ length: Int, _ removed: UnsafeMutablePointer<Int32>?
) -> Int32 {
    abiCall {
        let family = try Handles.metric(metric)
        // The unlabeled family's error first, as finmon_metric_remove gives it.
        if family.labelNames.isEmpty { try family.remove(key: LabelKey(bytes: [])) }
        let series = try family.remove(key: CInput.labelKey(values, length, of: family))
        if let series { Handles.release(series) }
        removed?.pointee = series == nil ? 0 : 1
        return FINMON_OK
    }
}

@c @implementation
public func finmon_metric_remove_series(
    _ metric: OpaquePointer?, _ series: OpaquePointer?, _ removed: UnsafeMutablePointer<Int32>?
) -> Int32 {
    abiCall {
        let family = try Handles.metric(metric)
        guard let series else { throw ABIError.null("series") }
        let handle = Handles.raw(series)
        // Not Handles.series(_:): a series already removed keeps its handle until its next
        // use, and its values still name what to remove.
        guard let one = Handles.series.get(handle) else {
            throw Handles.wrongHandle(handle, in: Handles.series, "the series (it may have been removed)")
        }
        guard one.familyName == family.name, one !== family.overflowSink else {
            throw ABIError.argument("the series is not one of metric '\(family.name)'")
        }
        let gone = try family.remove(labelsOf: one)
        if let gone { Handles.release(gone) }
        if one.isRemoved { Handles.release(one) }
        removed?.pointee = gone == nil ? 0 : 1
        return FINMON_OK
    }
}
