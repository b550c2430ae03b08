import Glibc

/// Announces this loop's exporter in a Prometheus `file_sd` target file
/// (`monitoring.prometheus.file_sd_path`), so one Prometheus finds every loop on every
/// host without a static list, and removes the entry again at a clean stop.
///
/// Several loops may share one file (a shared volume, or loops on one machine): each
/// change reads the file, replaces or removes only this loop's entry, and writes it back
/// with `AtomicFile` (temporary file + rename, so Prometheus never reads half a file)
/// while holding an exclusive `flock` on `<file>.lock` beside it, so two loops writing at
/// once do not lose each other's entries. The lock file is left in place (removing it
/// would race with a loop that just opened it).
///
/// An entry is identified by its `instance` label: announcing replaces an entry of the
/// same instance (what a crashed earlier run of this loop left), withdrawing removes it
/// only while its `run_id` is still this run's. A loop killed by SIGKILL leaves its entry,
/// so Prometheus reports its target down and the `loop_down` rule fires for it.
///
/// ```swift
/// let target = ScrapeTarget(config: config, boundPort: 9100)
/// let announcer = TargetAnnouncer(path: "targets/finmon.json", target: target)
/// try announcer.announce()   // [{"targets": ["10.0.0.5:9100"], "labels": {"instance": ..., "run_id": ..., "host": ...}}]
/// try announcer.withdraw()   // the entry is gone; other loops' entries stay
/// ```
public final class TargetAnnouncer: Sendable {
    /// A change the file could not take: its path, what failed and the errno (EINVAL for
    /// a file that is not a file_sd target list, which is left untouched).
    public typealias Failure = AtomicFile.WriteError

    public let path: String
    /// `host:port` Prometheus scrapes.
    public let address: String
    /// The entry's labels: `instance`, `run_id`, `host` and the configured extra labels.
    public let labels: [String: String]
    /// A forked child inherits the announcer; only the process that announced withdraws.
    private let owner: pid_t

    public init(path: String, target: ScrapeTarget, extraLabels: [String: String] = [:]) {
        self.path = path
        address = target.address
        var labels = target.labels(adding: extraLabels)
        labels["job"] = nil  // the scrape config's job_name names the job
        self.labels = labels
        owner = getpid()
    }

    /// Writes this loop's entry, replacing one with the same `instance`.
    public func announce() throws(Failure) {
        let instance = labels["instance"]
        let entry = JSONValue.orderedObject([
            ("targets", .array([.string(address)])),
            ("labels", .sortedObject(labels.map { ($0.key, JSONValue.string($0.value)) })),
        ])
        try Self.update(path) { entries in
            entries.filter { Self.label("instance", of: $0) != instance } + [entry]
        }
    }

    /// Removes this loop's entry (if this run still owns it); a no-op in a forked child.
    public func withdraw() throws(Failure) {
        guard getpid() == owner else { return }
        let instance = labels["instance"]
        let runID = labels["run_id"]
        try Self.update(path) { entries in
            entries.filter { Self.label("instance", of: $0) != instance || Self.label("run_id", of: $0) != runID }
        }
    }

    /// The entries of a file_sd file (an absent or empty file has none).
    static func entries(_ path: String) throws(Failure) -> [JSONValue] {
        let bytes: [UInt8]
        do {
            bytes = try ProcFile.read(path, limit: 64 << 20)
        } catch {
            if case .cannotOpen(let code) = error.reason, code == ENOENT { return [] }
            throw Failure(path: path, operation: "read", errno: Self.code(of: error.reason))
        }
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return [] }
        guard let document = try? JSONParser.parse(bytes, maxBytes: 64 << 20), let entries = document.arrayValue else {
            throw Failure(path: path, operation: "parse as a file_sd target list", errno: EINVAL)
        }
        return entries
    }

    private static func update(_ path: String, _ change: ([JSONValue]) -> [JSONValue]) throws(Failure) {
        let lockPath = path + ".lock"
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Failure(path: lockPath, operation: "create", errno: errno) }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw Failure(path: lockPath, operation: "lock", errno: errno) }
        }
        let entries = change(try entries(path))
        // One entry a line: readable, and diffs of the file show which loop came or went.
        let body = entries.map { "  " + $0.rendered }.joined(separator: ",\n")
        try AtomicFile.write(Array((entries.isEmpty ? "[]\n" : "[\n\(body)\n]\n").utf8), to: path)
    }

    private static func label(_ name: String, of entry: JSONValue) -> String? {
        entry["labels"]?[name]?.stringValue
    }

    private static func code(of reason: SystemReadError.Reason) -> Int32 {
        switch reason {
        case .cannotOpen(let code), .readFailed(let code), .statvfsFailed(let code): code
        default: EFBIG
        }
    }
}
