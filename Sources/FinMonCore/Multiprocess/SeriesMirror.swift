import Synchronization

/// What a series of a multiprocess run keeps besides its own value: the run's link, its
/// entry in the segment and the parent's merge. Only such series have one, so an ordinary
/// series carries one pointer instead of these fields (about 50 bytes of each of 10,000
/// container series).
final class SeriesMirror: Sendable {
    let link: WorkerLink
    /// The series' entry in the segment (JSON).
    let payload: [UInt8]
    /// Value offset of that entry: -1 not looked up yet, -2 none (the segment is full).
    let offset = Atomic<Int>(-1)
    /// The parent's merge of every process (nil: this process's own value).
    let merged = Mutex<MergedValue?>(nil)

    init(link: WorkerLink, payload: [UInt8]) {
        self.link = link
        self.payload = payload
    }
}
