import Testing
@testable import FinMonCore

@Test func firstSampleHasNoBaselineAndYieldsNil() throws {
    var calculator = CPUUsageCalculator()
    let percent = calculator.update(try ProcStat.read(procRoot: ProcFixture.root("cpu-interval/t0")).cpu)
    #expect(percent == nil)
    #expect(calculator.previous != nil)
}

@Test func percentOfTwoSnapshotsMatchesTheHandComputation() throws {
    // t0: cpu  1000 50 300 8000 100 10 20 5 40 2
    // t1: cpu  1600 50 500 8800 150 10 40 5 100 2
    // deltas: user 600, system 200, idle 800, iowait 50, softirq 20, guest 60 (left out)
    // total = 600 + 200 + 800 + 50 + 20 = 1670; busy = 1670 - 800 - 50 = 820
    // psutil 7.2.2's _cpu_times_deltas/_cpu_busy_time/_cpu_tot_time on these two
    // files give 49.101796407185624 (cpu_percent rounds it to 49.1).
    var calculator = CPUUsageCalculator()
    _ = calculator.update(try ProcStat.read(procRoot: ProcFixture.root("cpu-interval/t0"), ticksPerSecond: 100).cpu)
    let t1 = try ProcStat.read(procRoot: ProcFixture.root("cpu-interval/t1"), ticksPerSecond: 100).cpu
    let result = calculator.update(t1)
    let percent = try #require(result)
    #expect(abs(percent - 820.0 / 1670.0 * 100) < 1e-9)
    #expect(abs(percent - 49.101796407185624) < 1e-9)
}

@Test func totalGoingBackwardsStartsAFreshBaseline() throws {
    var calculator = CPUUsageCalculator()
    let t0 = try ProcStat.read(procRoot: ProcFixture.root("backwards/t0"), ticksPerSecond: 100).cpu
    let t1 = try ProcStat.read(procRoot: ProcFixture.root("backwards/t1"), ticksPerSecond: 100).cpu
    let results = [calculator.update(t0), calculator.update(t1)]
    #expect(results == [nil, nil])
    #expect(calculator.previous == t1)
    // The next interval is measured from t1: 30 busy + 70 idle ticks.
    var t2 = t1
    t2.user += 0.30
    t2.idle += 0.70
    let result = calculator.update(t2)
    let percent = try #require(result)
    #expect(abs(percent - 30) < 1e-9)
}

@Test func oneFieldGoingDownIsTrimmedAsPsutilDoes() throws {
    // iowait may decrease (psutil #1210): its delta counts as 0, the rest stands.
    let earlier = CPUTimes(user: 10, idle: 100, iowait: 5)
    let later = CPUTimes(user: 14, idle: 104, iowait: 3)
    let percent = try #require(CPUUsageCalculator.percent(from: earlier, to: later))
    #expect(percent == 50)
}

@Test func zeroIntervalIsZeroPercentLikePsutil() {
    let times = CPUTimes(user: 10, idle: 100)
    #expect(CPUUsageCalculator.percent(from: times, to: times) == 0)
}

@Test func resultStaysWithinZeroAndHundred() throws {
    // guest growing faster than user is impossible on a real kernel; crafted, it
    // must not produce a percentage outside the range.
    let earlier = CPUTimes(user: 0, idle: 0)
    let later = CPUTimes(user: 1, idle: 0, iowait: 0, guest: 5)
    let percent = try #require(CPUUsageCalculator.percent(from: earlier, to: later))
    #expect(percent == 100)
    let idleOnly = try #require(CPUUsageCalculator.percent(from: earlier, to: CPUTimes(idle: 3)))
    #expect(idleOnly == 0)
}

@Test func nonFiniteInputYieldsNil() {
    #expect(CPUUsageCalculator.percent(from: CPUTimes(), to: CPUTimes(user: .nan, idle: 1)) == nil)
    #expect(CPUUsageCalculator.percent(from: CPUTimes(), to: CPUTimes(user: .infinity)) == nil)
}
