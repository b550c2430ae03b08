/// How the parent's exporter combines a gauge that several processes of a multiprocess
/// run set: each process (parent included) has its own value, and a process that exits
/// takes its value with it (a counter's total stays: see `WorkerSegment`).
///
/// ```swift
/// collector.registry.multiprocess?.setGaugeMode(.max, for: "population_diversity")
/// ```
public enum GaugeMode: String, Sendable, CaseIterable {
    /// The sum over live processes: in-flight work, open containers (`inc`/`dec` gauges).
    case sum
    /// The largest value a live process holds.
    case max
    /// The smallest value a live process holds.
    case min
    /// The value set last, by whichever live process (the default: a gauge is a reading,
    /// and the newest reading wins, as in one process).
    case latest
    /// Each live process's value as a series of its own, with a `worker` label after the
    /// family's labels: the process's slot number, which the next worker reuses, so the
    /// series a run leaves in Prometheus stay as many as the slots, not the restarts.
    /// A process's series goes when it exits.
    case worker
}
