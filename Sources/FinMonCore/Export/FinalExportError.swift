/// Why the final record was refused or could not be written.
///
/// `invalid` comes before anything is written and names the argument (or config key):
/// a file name that would leave the export folder, a target that is not a regular file,
/// the same file named twice. `write` is the OS refusing the write itself.
public enum FinalExportError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalid(argument: String, reason: String)
    case write(AtomicFile.WriteError)

    public var description: String {
        switch self {
        case .invalid(let argument, let reason): "\(argument): \(reason)"
        case .write(let error): error.description
        }
    }
}
