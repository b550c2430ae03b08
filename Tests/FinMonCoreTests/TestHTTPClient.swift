import Glibc

struct TestSocketError: Error, CustomStringConvertible {
    let description: String
    init(_ what: String) { description = "\(what): errno \(errno)" }
}

/// A blocking HTTP/1.1 client on a plain TCP socket to 127.0.0.1, so the exporter is
/// tested through the kernel's network stack the way Prometheus reaches it.
final class TestHTTPClient {
    struct Response {
        let status: Int
        let headers: [(name: String, value: String)]
        let body: [UInt8]

        func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }

        var text: String { String(decoding: body, as: UTF8.self) }
    }

    private let fd: Int32
    private var pending: [UInt8] = []

    /// Connects, and makes every read give up after `timeout` seconds instead of hanging the test.
    init(port: Int, timeout: Int = 10) throws {
        fd = try TestSocket.open()
        var receiveTimeout = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &receiveTimeout, socklen_t(MemoryLayout<timeval>.size))
        var address = TestSocket.loopback(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        // No close here: a class initializer that throws after every stored property is set
        // still runs deinit, which closes `fd`. A second close would hit whatever descriptor
        // another test's thread was given meanwhile (once, NIO's own socket: its getsockname
        // then failed with EBADF, which NIO treats as a precondition failure).
        guard connected == 0 else { throw TestSocketError("connect to port \(port)") }
    }

    deinit { close(fd) }

    func request(
        _ path: String, method: String = "GET", headers: [(String, String)] = [], body: String = ""
    ) throws -> Response {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" { text += "Content-Length: \(body.utf8.count)\r\n" }
        text += "\r\n" + body
        try send(Array(text.utf8))
        return try readResponse()
    }

    private func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw TestSocketError("send") }
            offset += sent
        }
    }

    private func readResponse() throws -> Response {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        var headEnd: Int?
        while headEnd == nil {
            headEnd = pending.firstRange(of: separator)?.lowerBound
            if headEnd == nil { try receiveMore() }
        }
        guard let headEnd else { throw TestSocketError("no response head") }
        let head = String(decoding: pending[..<headEnd], as: UTF8.self)
        pending.removeFirst(headEnd + separator.count)
        var lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw TestSocketError("bad status line \(head)") }
        let headers = lines.compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), String(line[line.index(after: colon)...].drop { $0 == " " }))
        }
        let length = headers.first { $0.name.lowercased() == "content-length" }.flatMap { Int($0.value) } ?? 0
        while pending.count < length { try receiveMore() }
        let body = Array(pending[..<length])
        pending.removeFirst(length)
        return Response(status: status, headers: headers, body: body)
    }

    private func receiveMore() throws {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let received = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard received > 0 else { throw TestSocketError(received == 0 ? "connection closed" : "recv") }
        pending.append(contentsOf: chunk[..<received])
    }
}

/// Plain sockets for the tests: a client's, and a listener that keeps a port busy.
enum TestSocket {
    static func open() throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestSocketError("socket") }
        return fd
    }

    static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(truncatingIfNeeded: port)).bigEndian
        address.sin_addr.s_addr = in_addr_t(0x7f00_0001).bigEndian
        return address
    }

    /// A socket listening on 127.0.0.1 (at a port the kernel picks by default); returns it and the port.
    static func listen(port: Int = 0) throws -> (fd: Int32, port: Int) {
        let fd = try open()
        var address = loopback(port: port)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && Glibc.listen(fd, 16) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else {
            let error = TestSocketError("bind/listen")
            close(fd)
            throw error
        }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }
}
