import CFinMon
import FinMonCore

@c @implementation
public func finmon_version() -> UnsafePointer<CChar>? {
    FinMonVersionString.pointer
}
