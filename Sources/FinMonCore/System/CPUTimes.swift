/// The aggregate `cpu` line of /proc/stat in seconds, field for field as
/// psutil's `scputimes` on Linux. Fields an old kernel does not print are 0.
public struct CPUTimes: Sendable, Equatable {
    public var user: Double
    public var nice: Double
    public var system: Double
    public var idle: Double
    public var iowait: Double
    public var irq: Double
    public var softirq: Double
    public var steal: Double
    public var guest: Double
    public var guestNice: Double

    public init(
        user: Double = 0, nice: Double = 0, system: Double = 0, idle: Double = 0,
        iowait: Double = 0, irq: Double = 0, softirq: Double = 0, steal: Double = 0,
        guest: Double = 0, guestNice: Double = 0
    ) {
        self.user = user
        self.nice = nice
        self.system = system
        self.idle = idle
        self.iowait = iowait
        self.irq = irq
        self.softirq = softirq
        self.steal = steal
        self.guest = guest
        self.guestNice = guestNice
    }

    /// psutil `_cpu_tot_time`: the kernel already counts guest time inside user
    /// and guest_nice inside nice, so adding them again would double count.
    public var total: Double {
        user + nice + system + idle + iowait + irq + softirq + steal
    }

    /// psutil `_cpu_busy_time`: iowait is time the CPU sat idle waiting, and
    /// Linux does not include it in idle, so it is subtracted too (as htop does).
    public var busy: Double {
        total - idle - iowait
    }

    /// psutil `_cpu_times_deltas`: each field's increase, negative ones trimmed
    /// to 0 (iowait in particular can decrease; see psutil #1210, top does the same).
    public func clampedDelta(since earlier: CPUTimes) -> CPUTimes {
        func d(_ later: Double, _ before: Double) -> Double { Swift.max(0, later - before) }
        return CPUTimes(
            user: d(user, earlier.user), nice: d(nice, earlier.nice), system: d(system, earlier.system),
            idle: d(idle, earlier.idle), iowait: d(iowait, earlier.iowait), irq: d(irq, earlier.irq),
            softirq: d(softirq, earlier.softirq), steal: d(steal, earlier.steal),
            guest: d(guest, earlier.guest), guestNice: d(guestNice, earlier.guestNice))
    }

    var allFinite: Bool {
        [user, nice, system, idle, iowait, irq, softirq, steal, guest, guestNice].allSatisfy { $0.isFinite }
    }
}
