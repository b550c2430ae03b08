import FinMonCore

@_cdecl("finmon_version")
public func finmon_version() -> UnsafePointer<CChar> {
    FinMonVersionString.pointer
}
