/// The memory limit and usage of the cgroup a process lives in, v2 or v1.
///
/// Inside a container the limit, not MemTotal, is what the OOM killer enforces,
/// so a monitor needs both to say how close the loop is to being killed.
public struct CgroupMemory: Sendable, Equatable {
    public enum Version: Sendable, Equatable {
        case v1
        case v2
    }

    public var version: Version
    /// The path from /proc/<pid>/cgroup, e.g. "/user.slice/session-1.scope".
    public var cgroupPath: String
    /// The directory the numbers were read from.
    public var directory: String
    /// The effective limit: the smallest limit of the cgroup and its ancestors
    /// visible under the cgroup root (v2: each level's memory.max; v1: the smaller
    /// of memory.limit_in_bytes and memory.stat's hierarchical_memory_limit).
    /// nil when unlimited: "max", or at least `unlimitedThreshold` (v1 writes
    /// unlimited as 0x7FFFFFFFFFFFF000).
    public var limitBytes: UInt64?
    /// memory.current (v2) or memory.usage_in_bytes (v1); both include page cache.
    public var usageBytes: UInt64

    /// 1 EiB: no machine has that much memory, and v1's "unlimited" is 8 EiB - 4 KiB.
    public static let unlimitedThreshold: UInt64 = 1 << 60

    public init(version: Version, cgroupPath: String, directory: String, limitBytes: UInt64?, usageBytes: UInt64) {
        self.version = version
        self.cgroupPath = cgroupPath
        self.directory = directory
        self.limitBytes = limitBytes
        self.usageBytes = usageBytes
    }

    /// Returns nil when there is no memory controller to read: /proc/<pid>/cgroup
    /// absent, or neither a v1 `memory` hierarchy nor a v2 `memory.max` is visible.
    /// That is a property of the environment, not a failure worth counting each tick.
    ///
    /// A v1 `memory` line wins over the v2 line: a controller is bound to one
    /// hierarchy only, so on a hybrid system (v1 memory, v2 "unified" without it)
    /// the v1 numbers are the real ones.
    ///
    /// The directory is `<root>/<path>`, else `<root>` itself: without a cgroup
    /// namespace a container sees the host's path in /proc/self/cgroup but has its
    /// own cgroup mounted at the root.
    public static func read(
        procRoot: String = "/proc", cgroupRoot: String = "/sys/fs/cgroup", pid: String = "self"
    ) throws(SystemReadError) -> CgroupMemory? {
        var session = ProcReadSession(files: nil)
        return try read(session: &session, procRoot: procRoot, cgroupRoot: cgroupRoot, pid: pid)
    }

    static func read(
        session: inout ProcReadSession, procRoot: String, cgroupRoot: String, pid: String
    ) throws(SystemReadError) -> CgroupMemory? {
        let path = procRoot + "/" + pid + "/cgroup"
        let text: String
        do throws(SystemReadError) {
            text = try session.readText(path)
        } catch {
            if case .cannotOpen = error.reason { return nil }
            throw error
        }
        let membership = try parseMembership(text, path: path)
        if let v1Path = membership.v1Memory {
            return try readV1(session: &session, cgroupPath: v1Path, root: cgroupRoot + "/memory")
        }
        if let v2Path = membership.v2 {
            return try readV2(session: &session, cgroupPath: v2Path, root: cgroupRoot)
        }
        return nil
    }

    struct Membership: Equatable {
        var v1Memory: String?
        var v2: String?
    }

    /// Lines are "hierarchy-ID:controller-list:path"; the path may itself contain ':'.
    static func parseMembership(_ text: String, path: String) throws(SystemReadError) -> Membership {
        var result = Membership()
        for line in ProcParse.lines(text) {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else {
                throw SystemReadError(
                    path: path, reason: .malformed("line '\(ProcParse.excerpt(line))' is not 'id:controllers:path'"))
            }
            let cgroupPath = String(parts[2])
            guard cgroupPath.hasPrefix("/") else {
                throw SystemReadError(path: path, reason: .malformed("cgroup path '\(ProcParse.excerpt(parts[2]))' is not absolute"))
            }
            if parts[0] == "0" && parts[1].isEmpty {
                result.v2 = cgroupPath
            } else if parts[1].split(separator: ",").contains("memory") {
                result.v1Memory = cgroupPath
            }
        }
        return result
    }

    static func readV1(session: inout ProcReadSession, cgroupPath: String, root: String) throws(SystemReadError) -> CgroupMemory? {
        guard let directory = try resolve(cgroupPath: cgroupPath, root: root, marker: "memory.limit_in_bytes") else {
            return nil
        }
        let limitPath = directory + "/memory.limit_in_bytes"
        var limit = try readNumber(limitPath, session: &session)
        let usage = try readNumber(directory + "/memory.usage_in_bytes", session: &session)
        // The v1 file holds only this level's limit; memory.stat has the effective one.
        let statPath = directory + "/memory.stat"
        if let stat = try readOptionalText(statPath, session: &session) {
            for line in ProcParse.lines(stat) where ProcParse.hasPrefix(line, "hierarchical_memory_limit") {
                let fields = ProcParse.fields(line)
                guard fields.count >= 2, fields[0] == "hierarchical_memory_limit" else { continue }
                limit = Swift.min(limit, try ProcParse.uint64(fields[1], field: "hierarchical_memory_limit", path: statPath))
            }
        }
        return CgroupMemory(
            version: .v1, cgroupPath: cgroupPath, directory: directory,
            limitBytes: limit >= unlimitedThreshold ? nil : limit, usageBytes: usage)
    }

    static func readV2(session: inout ProcReadSession, cgroupPath: String, root: String) throws(SystemReadError) -> CgroupMemory? {
        guard let directory = try resolve(cgroupPath: cgroupPath, root: root, marker: "memory.max") else {
            return nil
        }
        let usage = try readNumber(directory + "/memory.current", session: &session)
        // v2 has no hierarchical summary: walk up to the root; the root cgroup
        // itself has no memory.max, but a namespaced container's root does.
        var limit: UInt64?
        var level = directory
        while true {
            let maxPath = level + "/memory.max"
            if let text = try readOptionalText(maxPath, session: &session) {
                let token = text.split(whereSeparator: { $0 == "\n" || $0 == " " }).first ?? ""
                if token != "max" {
                    let value = try ProcParse.uint64(token, field: "memory.max", path: maxPath)
                    limit = Swift.min(limit ?? value, value)
                }
            }
            guard level.count > root.count, let slash = level.lastIndex(of: "/") else { break }
            level = String(level[..<slash])
        }
        if let value = limit, value >= unlimitedThreshold { limit = nil }
        return CgroupMemory(version: .v2, cgroupPath: cgroupPath, directory: directory, limitBytes: limit, usageBytes: usage)
    }

    /// The file a tick re-reads: memory.usage_in_bytes (v1) or memory.current (v2).
    var usagePath: String {
        directory + (version == .v1 ? "/memory.usage_in_bytes" : "/memory.current")
    }

    /// This cgroup's usage now, its other fields as read before (a sampler re-reads the
    /// membership, directory and limit only every few ticks).
    static func readUsage(
        session: inout ProcReadSession, cached: CgroupMemory, usagePath: String
    ) throws(SystemReadError) -> CgroupMemory {
        var result = cached
        result.usageBytes = try readNumber(usagePath, session: &session)
        return result
    }

    private static func resolve(cgroupPath: String, root: String, marker: String) throws(SystemReadError) -> String? {
        // A path with ".." would let a crafted /proc file steer reads outside the root.
        let components = cgroupPath.split(separator: "/")
        guard !components.contains("..") else {
            throw SystemReadError(path: cgroupPath, reason: .malformed("cgroup path contains '..'"))
        }
        let full = components.isEmpty ? root : root + "/" + components.joined(separator: "/")
        if ProcFile.exists(full + "/" + marker) { return full }
        if ProcFile.exists(root + "/" + marker) { return root }
        return nil
    }

    /// The first token of a one-number file, parsed in place.
    private static func readNumber(_ path: String, session: inout ProcReadSession) throws(SystemReadError) -> UInt64 {
        try session.withBytes(path, limit: 4096) { bytes throws(SystemReadError) in
            var start = 0
            while start < bytes.count && (bytes[start] == ProcParse.newline || bytes[start] == ProcParse.space) { start += 1 }
            var end = start
            while end < bytes.count && bytes[end] != ProcParse.newline && bytes[end] != ProcParse.space { end += 1 }
            return try ProcParse.uint64(bytes, start..<end, field: "value", path: path)
        }
    }

    private static func readOptionalText(_ path: String, session: inout ProcReadSession) throws(SystemReadError) -> String? {
        do throws(SystemReadError) {
            return try session.readText(path)
        } catch {
            if case .cannotOpen = error.reason { return nil }
            throw error
        }
    }
}
