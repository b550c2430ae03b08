import NIOCore
import Synchronization

/// The exporter's open connections, for `ExporterLimits.maxConnections`: each is either
/// waiting for a request (since when) or being answered.
///
/// At the limit, admitting a connection closes the one that has waited longest for a
/// request, so idle or never-finished connections cannot lock out a scrape; connections
/// being answered are never closed for room. One table per listening socket.
final class ConnectionTable: Sendable {
    enum Admission {
        /// Admitted; `evicted`, if any, was waiting longest and must be closed.
        case admitted(evicted: (any Channel)?)
        /// Every open connection is being answered: the new one must be closed.
        case refused
    }

    private struct Entry {
        let channel: any Channel
        /// nil while a request is being answered.
        var waitingSince: NIODeadline?
    }

    let limit: Int
    private let entries = Mutex<[ObjectIdentifier: Entry]>([:])

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    func admit(_ channel: any Channel, now: NIODeadline = .now()) -> Admission {
        entries.withLock { entries in
            var evicted: (any Channel)?
            if entries.count >= limit {
                // A linear scan without allocating: the table holds at most `limit` entries,
                // and this runs only at the limit.
                var oldest: (key: ObjectIdentifier, since: NIODeadline)?
                for (key, entry) in entries {
                    guard let since = entry.waitingSince else { continue }
                    if oldest.map({ since < $0.since }) ?? true { oldest = (key, since) }
                }
                guard let oldest, let entry = entries.removeValue(forKey: oldest.key) else { return .refused }
                evicted = entry.channel
            }
            entries[ObjectIdentifier(channel)] = Entry(channel: channel, waitingSince: now)
            return .admitted(evicted: evicted)
        }
    }

    /// The connection's request is complete and being answered (nil) or it waits again.
    func setWaiting(_ channel: any Channel, since: NIODeadline?) {
        entries.withLock { entries in
            entries[ObjectIdentifier(channel)]?.waitingSince = since
        }
    }

    func remove(_ channel: any Channel) {
        _ = entries.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    var count: Int { entries.withLock { $0.count } }
}
