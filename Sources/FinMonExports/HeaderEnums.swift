import CFinMon
import FinMonCore

// The header's enums, read into the core's types. A value the header does not define is
// nil here (a C caller can pass any integer), and the export reports it.

extension MetricType {
    init?(_ type: finmon_metric_type) {
        switch type {
        case FINMON_COUNTER: self = .counter
        case FINMON_GAUGE: self = .gauge
        case FINMON_HISTOGRAM: self = .histogram
        default: return nil
        }
    }
}

extension ExpositionFormat {
    init?(_ format: finmon_format) {
        switch format {
        case FINMON_FORMAT_PROMETHEUS_TEXT: self = .prometheusText
        case FINMON_FORMAT_OPENMETRICS: self = .openMetrics
        default: return nil
        }
    }
}

extension AlertInput {
    init?(_ input: finmon_alert_input) {
        switch input {
        case FINMON_ALERT_INPUT_MEMORY_PERCENT: self = .memoryPercent
        case FINMON_ALERT_INPUT_CPU_PERCENT: self = .cpuPercent
        case FINMON_ALERT_INPUT_DIVERSITY: self = .diversity
        case FINMON_ALERT_INPUT_CHAMPION_STALENESS: self = .championStaleness
        case FINMON_ALERT_INPUT_SUCCESS_RATE: self = .successRate
        case FINMON_ALERT_INPUT_ORPHANED_CONTAINERS: self = .orphanedContainers
        case FINMON_ALERT_INPUT_ITERATION: self = .iteration
        case FINMON_ALERT_INPUT_RESIDENT_MEMORY_BYTES: self = .residentMemoryBytes
        case FINMON_ALERT_INPUT_RESIDENT_MEMORY_GROWTH: self = .residentMemoryGrowth
        case FINMON_ALERT_INPUT_MEMORY_LIMIT_BYTES: self = .memoryLimitBytes
        case FINMON_ALERT_INPUT_SECONDS_SINCE_LAST_ITERATION: self = .secondsSinceLastIteration
        default: return nil
        }
    }
}

extension GaugeMode {
    init?(_ mode: finmon_gauge_mode) {
        switch mode {
        case FINMON_GAUGE_LATEST: self = .latest
        case FINMON_GAUGE_SUM: self = .sum
        case FINMON_GAUGE_MAX: self = .max
        case FINMON_GAUGE_MIN: self = .min
        case FINMON_GAUGE_WORKER: self = .worker
        default: return nil
        }
    }
}
