import Synchronization

/// The parts of a series only some series have, in one box a plain counter or gauge goes
/// without: a histogram's counts (under their lock), a multiprocess run's mirror.
///
/// Inline, the histogram's lock and counts were 32 bytes of every series and the mirror 8
/// more; boxed, a counter or gauge carries one nil reference (issue #16, resident memory).
///
/// Example:
///     let extras = SeriesExtras(bucketCount: 3, mirror: nil)
///     extras.histogram.withLock { $0.record(0.5, bucket: 0) }
final class SeriesExtras: Sendable {
    /// Per-bucket counts, sum and count, which must move together (empty for a counter or
    /// gauge of a multiprocess run).
    let histogram: Mutex<HistogramCounts>
    /// A multiprocess run's link, entry and merge (nil otherwise).
    let mirror: SeriesMirror?

    init(bucketCount: Int, mirror: SeriesMirror?) {
        histogram = Mutex(HistogramCounts(bucketCount: bucketCount))
        self.mirror = mirror
    }
}
