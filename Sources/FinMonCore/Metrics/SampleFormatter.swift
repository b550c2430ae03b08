/// Numbers and strings as the Prometheus text formats spell them.
public enum SampleFormatter {
    /// `NaN`, `+Inf`, `-Inf`, else the shortest text that parses back to the same Double
    /// (Go's ParseFloat, which Prometheus uses, reads Swift's `description` form).
    public static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value == .infinity { return "+Inf" }
        if value == -.infinity { return "-Inf" }
        return value.description
    }

    /// Label values escape backslash, double quote and newline.
    public static func escapeLabelValue(_ value: String, into out: inout [UInt8]) {
        for byte in value.utf8 { escapeLabelByte(byte, into: &out) }
    }

    /// One byte of a label value's UTF-8, escaped (multi-byte characters pass unchanged).
    @inline(__always)
    static func escapeLabelByte(_ byte: UInt8, into out: inout [UInt8]) {
        switch byte {
        case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "\\"))
        case UInt8(ascii: "\""): out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "\""))
        case UInt8(ascii: "\n"): out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "n"))
        default: out.append(byte)
        }
    }

    /// HELP escapes backslash and newline in 0.0.4; OpenMetrics also escapes the double quote.
    public static func escapeHelp(_ help: String, escapeQuote: Bool, into out: inout [UInt8]) {
        for byte in help.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "\\"))
            case UInt8(ascii: "\n"): out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "n"))
            case UInt8(ascii: "\"") where escapeQuote: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "\""))
            default: out.append(byte)
            }
        }
    }
}
