import Glibc

/// Writes a file so a reader sees either the old content or the new, never a mix: the
/// bytes go to a temporary file in the same folder (`<path>.tmp.<pid>`), are synced, then
/// renamed over it. A process killed mid-write leaves the old file and at worst a stray
/// temporary file, which `removeStaleTemporaries(of:)` deletes on the next start.
///
/// Only a regular file, or nothing, is ever replaced: a rename onto a device node, a
/// FIFO, a folder or a symbolic link would swap that object for a regular file (an audit
/// turned `/dev/null`'s stand-in into a file this way), so such a target is refused.
///
///     try AtomicFile.write(Array("{}".utf8), to: "out/metrics_final.json")
public enum AtomicFile {
    public struct WriteError: Error, Sendable, Equatable, CustomStringConvertible {
        public let path: String
        public let operation: String
        public let errno: Int32
        /// Why, when the OS' error text would not say it (a target that is not a regular file).
        public let detail: String?

        public init(path: String, operation: String, errno: Int32, detail: String? = nil) {
            self.path = path
            self.operation = operation
            self.errno = errno
            self.detail = detail
        }

        public var description: String {
            "cannot \(operation) \(path): \(detail ?? String(cString: strerror(errno)))"
        }
    }

    public static func write(_ bytes: [UInt8], to path: String) throws(WriteError) {
        try checkReplaceable(path)
        let temporary = temporaryPath(of: path)
        // A leftover of an earlier process that had our pid: ours to replace, if it is a file.
        if case .regular? = kind(of: temporary) { unlink(temporary) }
        // O_EXCL | O_NOFOLLOW: never write through something planted at the temporary name.
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw WriteError(path: temporary, operation: "create", errno: errno) }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { raw in
                Glibc.write(fd, raw.baseAddress.map { $0 + offset }, raw.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                let code = errno
                close(fd)
                unlink(temporary)
                throw WriteError(path: temporary, operation: "write", errno: code)
            }
            offset += written
        }
        if fsync(fd) != 0 {
            let code = errno
            close(fd)
            unlink(temporary)
            throw WriteError(path: temporary, operation: "sync", errno: code)
        }
        close(fd)
        do {
            // Again just before the rename: the target may have changed while we wrote.
            try checkReplaceable(path)
        } catch {
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw WriteError(path: path, operation: "rename onto", errno: code)
        }
    }

    /// Throws unless `path` is a regular file or does not exist.
    public static func checkReplaceable(_ path: String) throws(WriteError) {
        guard let found = kind(of: path), found != .regular else { return }
        throw WriteError(path: path, operation: "replace", errno: EEXIST,
                         detail: "it is \(found.description), not a regular file; finmon replaces only regular files")
    }

    public static func temporaryPath(of path: String) -> String { "\(path).tmp.\(getpid())" }

    /// Deletes `<path>.tmp.<pid>` files that processes no longer alive left behind (a kill
    /// mid-export). Files of a live process, and anything but regular files, stay. Returns
    /// the paths removed.
    @discardableResult
    public static func removeStaleTemporaries(of path: String) -> [String] {
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        let prefix = (slash.map { String(path[path.index(after: $0)...]) } ?? path) + ".tmp."
        guard let directory = opendir(folder) else { return [] }
        defer { closedir(directory) }
        var removed: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard name.hasPrefix(prefix), let pid = Int32(name.dropFirst(prefix.count)), pid > 0 else { continue }
            // kill(pid, 0) fails with ESRCH only when no such process exists.
            guard pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else { continue }
            let stale = folder == "/" ? "/" + name : folder + "/" + name
            guard case .regular? = kind(of: stale), unlink(stale) == 0 else { continue }
            removed.append(stale)
        }
        return removed
    }

    /// What is at a path, without following a symbolic link.
    public enum Kind: Equatable, Sendable, CustomStringConvertible {
        case regular, directory, symbolicLink, characterDevice, blockDevice, fifo, socket, other

        public var description: String {
            switch self {
            case .regular: "a regular file"
            case .directory: "a folder"
            case .symbolicLink: "a symbolic link"
            case .characterDevice: "a character device"
            case .blockDevice: "a block device"
            case .fifo: "a FIFO"
            case .socket: "a socket"
            case .other: "a special file"
            }
        }
    }

    /// nil when nothing is there.
    public static func kind(of path: String) -> Kind? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .regular
        case S_IFDIR: return .directory
        case S_IFLNK: return .symbolicLink
        case S_IFCHR: return .characterDevice
        case S_IFBLK: return .blockDevice
        case S_IFIFO: return .fifo
        case S_IFSOCK: return .socket
        default: return .other
        }
    }
}
