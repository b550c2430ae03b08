/// The library's semantic version; the ABI major is what the Python loader checks.
public enum FinMonVersion {
    public static let major = 0
    public static let minor = 1
    public static let patch = 0
    public static var string: String { "\(major).\(minor).\(patch)" }
}

/// A NUL-terminated copy of the version that lives as long as the process,
/// so the C ABI can hand out a pointer the caller never frees.
public enum FinMonVersionString {
    nonisolated(unsafe) public static let pointer: UnsafePointer<CChar> = {
        let utf8 = Array(FinMonVersion.string.utf8CString)
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: utf8.count)
        buffer.initialize(from: utf8, count: utf8.count)
        return UnsafePointer(buffer)
    }()
}
