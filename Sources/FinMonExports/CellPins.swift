import FinMonCore
import Synchronization

/// The value cells hosts have mapped (finmon_series_cell), by address: each entry keeps
/// its series, and with it the cell's memory, alive until the host releases its last pin.
/// A host's later store into the cell then always lands in memory the library still owns,
/// even if the series was removed, its handle freed, or its collector freed meanwhile.
enum CellPins {
    private struct Pin {
        let series: Series
        var count: Int
    }

    private static let pins = Mutex<[UInt: Pin]>([:])

    /// The cell's address, pinned once more.
    static func pin(_ series: Series) -> UnsafeMutableRawPointer {
        let address = series.cellAddress
        pins.withLock { pins in
            pins[UInt(bitPattern: address), default: Pin(series: series, count: 0)].count += 1
        }
        return address
    }

    /// False for an address no pinned cell has (nothing changes then).
    static func release(_ address: UnsafeRawPointer) -> Bool {
        // The series (and its cell) may be freed when the entry goes: outside the lock.
        let released: Series? = pins.withLock { pins in
            let key = UInt(bitPattern: address)
            guard var pin = pins[key] else { return nil }
            pin.count -= 1
            if pin.count == 0 {
                pins[key] = nil
            } else {
                pins[key] = pin
            }
            return pin.series
        }
        return released != nil
    }

    /// How many cells are pinned (for tests).
    static var count: Int { pins.withLock { $0.count } }
}
