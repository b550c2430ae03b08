import Testing
@testable import FinMonCore

@Suite struct RFC3339TimestampTests {
    @Test(arguments: [
        (0.0, "1970-01-01T00:00:00.000Z"),
        (1_795_959_912.123, "2026-11-29T13:45:12.123Z"),
        (951_782_400, "2000-02-29T00:00:00.000Z"),
        (951_868_799.999, "2000-02-29T23:59:59.999Z"),
        (4_107_542_400, "2100-03-01T00:00:00.000Z"),
        (1_234_567_890.5, "2009-02-13T23:31:30.500Z"),
        (-1, "1969-12-31T23:59:59.000Z"),
        (-0.001, "1969-12-31T23:59:59.999Z"),
        (-2_208_988_800, "1900-01-01T00:00:00.000Z"),
        (253_402_300_799.999, "9999-12-31T23:59:59.999Z"),
        (-62_167_219_200, "0000-01-01T00:00:00.000Z"),
    ] as [(Double, String)])
    func knownEpochs(epoch: Double, expected: String) {
        #expect(RFC3339Timestamp.format(epochSeconds: epoch) == expected)
    }

    @Test func truncatesToTheMillisecond() {
        #expect(RFC3339Timestamp.format(epochSeconds: 1.0009) == "1970-01-01T00:00:01.000Z")
    }

    @Test(arguments: [Double.nan, .infinity, -.infinity, 1e300, -1e300])
    func anyDoubleGivesAWellFormedTimestamp(epoch: Double) {
        let text = RFC3339Timestamp.format(epochSeconds: epoch)
        #expect(text.utf8.count == 24 && text.hasSuffix("Z"))
    }

    @Test func everyDayOfFourHundredYearsRoundTrips() {
        // The civil calendar repeats every 400 years; walk one full cycle day by day.
        var (year, month, day): (Int64, Int64, Int64) = (1970, 1, 1)
        let monthLengths: [Int64] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        for days in Int64(0)..<146_097 {
            let civil = RFC3339Timestamp.civil(fromDays: days)
            guard civil == (year, month, day) else {
                Issue.record("day \(days): got \(civil), expected \((year, month, day))")
                return
            }
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
            let length = month == 2 && leap ? 29 : monthLengths[Int(month - 1)]
            day += 1
            if day > length { day = 1; month += 1 }
            if month > 12 { month = 1; year += 1 }
        }
    }
}
