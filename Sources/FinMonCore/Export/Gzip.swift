import CFinMonZlib

/// gzip framing over zlib's deflate, for scrapes that send `Accept-Encoding: gzip`.
enum Gzip {
    /// Level 1: a 10,000-series exposition shrinks about tenfold already, and the scrape
    /// costs less CPU than at the default level.
    static func compress(_ input: [UInt8], level: Int32 = 1) -> [UInt8]? {
        var stream = z_stream()
        // windowBits 15 + 16 asks zlib for the gzip header and trailer.
        guard deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                            ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, uLong(input.count)))
        var output = [UInt8](repeating: 0, count: bound)
        var mutableInput = input
        let status: Int32 = mutableInput.withUnsafeMutableBufferPointer { inBuf in
            output.withUnsafeMutableBufferPointer { outBuf in
                stream.next_in = inBuf.baseAddress
                stream.avail_in = uInt(inBuf.count)
                stream.next_out = outBuf.baseAddress
                stream.avail_out = uInt(outBuf.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else { return nil }
        output.removeSubrange(Int(stream.total_out)...)
        return output
    }

    /// True when the client lists gzip, or `*`, with a weight above 0. An entry for gzip
    /// itself wins over `*` wherever it stands (RFC 9110, 12.5.3).
    static func accepted(by acceptEncoding: String?) -> Bool {
        guard let acceptEncoding else { return false }
        var wildcard: Bool?
        for part in acceptEncoding.split(separator: ",") {
            let fields = part.split(separator: ";").map { $0.trimmingSpaces() }
            guard let coding = fields.first?.lowercased(), coding == "gzip" || coding == "*" else { continue }
            let q = fields.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            if coding == "gzip" { return q > 0 }
            if wildcard == nil { wildcard = q > 0 }
        }
        return wildcard ?? false
    }
}
