/// RFC 3339 UTC timestamps with milliseconds (`2026-11-29T13:45:12.123Z`), computed with
/// Howard Hinnant's civil-from-days algorithm because Foundation's formatters are not
/// available without full Foundation (ICU).
public enum RFC3339Timestamp {
    /// 0000-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z: the four-digit-year range.
    static let minEpochMilliseconds: Int64 = -62_167_219_200_000
    static let maxEpochMilliseconds: Int64 = 253_402_300_799_999

    /// Truncates to the millisecond. Out-of-range instants are clamped to the four-digit
    /// years and NaN is the epoch, so any Double gives a well-formed timestamp.
    public static func format(epochSeconds: Double) -> String {
        let scaled = (epochSeconds * 1000).rounded(.down)
        let milliseconds: Int64
        if scaled.isNaN {
            milliseconds = 0
        } else if scaled <= Double(minEpochMilliseconds) {
            milliseconds = minEpochMilliseconds
        } else if scaled >= Double(maxEpochMilliseconds) {
            milliseconds = maxEpochMilliseconds
        } else {
            milliseconds = Int64(exactly: scaled) ?? 0
        }
        return format(epochMilliseconds: milliseconds)
    }

    static func format(epochMilliseconds: Int64) -> String {
        let ms = min(max(epochMilliseconds, minEpochMilliseconds), maxEpochMilliseconds)
        let msPerDay: Int64 = 86_400_000
        // Floor division, so instants before 1970 land on the right day.
        var days = ms / msPerDay
        var msOfDay = ms % msPerDay
        if msOfDay < 0 {
            days -= 1
            msOfDay += msPerDay
        }
        let (year, month, day) = civil(fromDays: days)
        let seconds = msOfDay / 1000
        return pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2)
            + "T" + pad(seconds / 3600, 2) + ":" + pad(seconds / 60 % 60, 2) + ":" + pad(seconds % 60, 2)
            + "." + pad(msOfDay % 1000, 3) + "Z"
    }

    /// Days since 1970-01-01 to the proleptic Gregorian (year, month, day).
    static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
