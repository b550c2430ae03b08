import Glibc

/// Polls a condition until it holds or a deadline passes: tests wait for what they need,
/// never for a fixed time.
enum Deadline {
    @discardableResult
    static func wait(seconds: Double, until condition: () -> Bool) -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .milliseconds(Int(seconds * 1000)))
        while true {
            if condition() { return true }
            if clock.now >= deadline { return false }
            usleep(20_000)
        }
    }
}
