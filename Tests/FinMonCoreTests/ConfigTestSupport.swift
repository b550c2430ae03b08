import FoundationEssentials
import Testing
@testable import FinMonCore
#if canImport(Glibc)
import Glibc
#endif

/// Helpers for the config and alert tests, under one name so they cannot collide with
/// other suites' helpers in this target.
enum ConfigTestSupport {
    /// A decoded JSON value, to check that finmon's hand-written JSON parses and says
    /// what it should, without JSONSerialization (full Foundation).
    enum JSON: Decodable, Equatable {
        case null
        case bool(Bool)
        case number(Double)
        case string(String)
        case array([JSON])
        case object([String: JSON])

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                self = .null
            } else if let bool = try? container.decode(Bool.self) {
                self = .bool(bool)
            } else if let number = try? container.decode(Double.self) {
                self = .number(number)
            } else if let string = try? container.decode(String.self) {
                self = .string(string)
            } else if let array = try? container.decode([JSON].self) {
                self = .array(array)
            } else {
                self = .object(try container.decode([String: JSON].self))
            }
        }

        static func parse(_ text: String) throws -> JSON {
            try JSONDecoder().decode(JSON.self, from: Data(text.utf8))
        }

        subscript(key: String) -> JSON? {
            if case .object(let members) = self { return members[key] }
            return nil
        }
    }

    /// The package checkout, found from this file's location so no machine path is committed.
    static var packageRoot: String {
        let file = #filePath
        guard let range = file.ranges(of: "/Tests/FinMonCoreTests/").last else { return "." }
        return String(file[..<range.lowerBound])
    }

    struct IOError: Error, CustomStringConvertible {
        let description: String
    }

    /// A fresh private directory under TMPDIR (or /tmp).
    struct TemporaryDirectory {
        let path: String

        init() throws {
            let base = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
            var template = Array("\(base)/finmon-test-XXXXXX".utf8CString)
            guard let made = template.withUnsafeMutableBufferPointer({ $0.baseAddress.flatMap { mkdtemp($0) } }) else {
                throw IOError(description: "mkdtemp failed: errno \(errno)")
            }
            path = String(cString: made)
        }

        /// Removes the directory and the plain files in it.
        func remove() {
            guard let dir = opendir(path) else { return }
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    raw.bindMemory(to: CChar.self).baseAddress.map { String(cString: $0) } ?? ""
                }
                if name != "." && name != ".." && !name.isEmpty { unlink("\(path)/\(name)") }
            }
            closedir(dir)
            rmdir(path)
        }
    }

    static func write(_ text: String, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw IOError(description: "open \(path): errno \(errno)") }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw IOError(description: "short write to \(path)") }
    }

    static func read(_ path: String) throws -> String {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw IOError(description: "open \(path): errno \(errno)") }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 { throw IOError(description: "read \(path): errno \(errno)") }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Runs a program (looked up on PATH) with its output sent to `outputPath`;
    /// returns the exit status, or nil when it could not be started.
    static func run(_ arguments: [String], outputPath: String) -> Int32? {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        argv.append(nil)
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, arguments.first ?? "", &actions, nil, argv, environ)
        guard spawned == 0 else { return nil }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return nil }
        }
        // WIFEXITED / WEXITSTATUS are macros Swift does not import.
        return (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    }

    /// Every `.swift` file under `directory`, recursively.
    static func swiftFiles(under directory: String) throws -> [String] {
        guard let dir = opendir(directory) else { throw IOError(description: "opendir \(directory): errno \(errno)") }
        defer { closedir(dir) }
        var found: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                raw.bindMemory(to: CChar.self).baseAddress.map { String(cString: $0) } ?? ""
            }
            guard !name.hasPrefix(".") else { continue }
            let path = "\(directory)/\(name)"
            if entry.pointee.d_type == UInt8(DT_DIR) {
                found += try swiftFiles(under: path)
            } else if name.hasSuffix(".swift") {
                found.append(path)
            }
        }
        return found
    }

    /// Whether an executable named `name` is on PATH.
    static func onPath(_ name: String) -> Bool {
        let path = getenv("PATH").map { String(cString: $0) } ?? ""
        return path.split(separator: ":").contains { access("\($0)/\(name)", X_OK) == 0 }
    }
}

extension MonitoringConfig {
    /// Sets a value without checking it against its row (a test may need one the file
    /// would refuse, such as an https:// receiver), but only at a path the table has.
    mutating func testSet(_ path: String, _ value: ConfigValue) {
        #expect(ConfigTable.key(path) != nil, "\(path) is not a row of ConfigTable")
        assign(path, value, line: 0)
    }
}
