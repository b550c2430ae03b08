import CFinMonZlib

/// zlib's inflate with gzip framing (windowBits 15 + 16), to check what the exporter sends.
enum Gunzip {
    /// The inflated bytes, or nil unless the input is exactly one complete gzip member.
    static func decompress(_ input: [UInt8]) -> [UInt8]? {
        var stream = z_stream()
        guard inflateInit2_(&stream, 31, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
        defer { inflateEnd(&stream) }
        var input = input
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        let status: Int32 = input.withUnsafeMutableBufferPointer { inBuf in
            stream.next_in = inBuf.baseAddress
            stream.avail_in = uInt(inBuf.count)
            while true {
                let (status, produced) = chunk.withUnsafeMutableBufferPointer { outBuf -> (Int32, Int) in
                    stream.next_out = outBuf.baseAddress
                    stream.avail_out = uInt(outBuf.count)
                    let status = inflate(&stream, Z_NO_FLUSH)
                    return (status, outBuf.count - Int(stream.avail_out))
                }
                output.append(contentsOf: chunk[0..<produced])
                if status != Z_OK { return status }
                if produced == 0, stream.avail_in == 0 { return Z_BUF_ERROR }  // truncated input
            }
        }
        guard status == Z_STREAM_END, stream.avail_in == 0 else { return nil }
        return output
    }
}
