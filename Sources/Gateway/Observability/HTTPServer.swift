import Foundation
import Synchronization

/// A deliberately small HTTP/1.1 server for `/metrics`, `/healthz` and `/`: GET only, one
/// request per connection, served on its own thread so it never touches the service loop.
public final class HTTPServer: Sendable {
    public struct Response: Sendable {
        public var status: Int
        public var contentType: String
        public var body: String
    }

    private let listener: Int32
    public let port: Int32
    private let running = Mutex(true)

    /// Binds `host:port` (port 0 picks a free one); throws with the system's reason.
    public init(host: String, port: Int32, handler: @escaping @Sendable (String) -> Response) throws {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE
        var info: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &info)
        guard rc == 0, let ai = info else {
            throw HTTPServerError(message: "cannot resolve \(host): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(info) }
        let fd = socket(ai.pointee.ai_family, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard fd >= 0, bind(fd, ai.pointee.ai_addr, ai.pointee.ai_addrlen) == 0, listen(fd, 16) == 0 else {
            let reason = String(cString: strerror(errno))
            if fd >= 0 { close(fd) }
            throw HTTPServerError(message: "cannot listen on \(host):\(port): \(reason)")
        }
        var addr = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        let bound = withUnsafePointer(to: &addr) { p -> UInt16 in
            p.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
        }
        listener = fd
        self.port = Int32(bound)
        let thread = Thread { [self] in
            while running.withLock({ $0 }) {
                let client = accept(listener, nil, nil)
                if client < 0 { if errno == EINTR { continue } else { break } }
                HTTPServer.serve(client, handler)
            }
        }
        thread.name = "http"
        thread.start()
    }

    /// Stops accepting connections.
    public func stop() {
        running.withLock { $0 = false }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private static func serve(_ fd: Int32, _ handler: (String) -> Response) {
        defer { close(fd) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var request: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while request.count < 16384 {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, 4096, 0) }
            if n <= 0 { break }
            request += chunk[0..<n]
            if request.count >= 4, request.suffix(4) == [13, 10, 13, 10] { break }
        }
        let line = String(decoding: request.prefix { $0 != 13 && $0 != 10 }, as: UTF8.self).split(separator: " ")
        let response: Response
        if line.count >= 2, line[0] == "GET" || line[0] == "HEAD" {
            response = handler(String(line[1].split(separator: "?").first ?? ""))
        } else {
            response = Response(status: 405, contentType: "text/plain", body: "only GET is supported\n")
        }
        let reason = [200: "OK", 404: "Not Found", 405: "Method Not Allowed", 503: "Service Unavailable"][response.status] ?? "Status"
        let body = Array(response.body.utf8)
        let head = "HTTP/1.1 \(response.status) \(reason)\r\nContent-Type: \(response.contentType)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        let bytes = Array(head.utf8) + (line.first == "HEAD" ? [] : body)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { break }
            sent += n
        }
    }
}

public struct HTTPServerError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// Routes the gateway's three endpoints.
public enum GatewayHTTP {
    public static func handler(status: StatusBoard, configuration: GatewayConfiguration) -> @Sendable (String) -> HTTPServer.Response {
        let gatewayID = configuration.gatewayID
        let range = configuration.engine.validMin...configuration.engine.validMax
        let watchdogMs = configuration.watchdogMs
        return { path in
            let s = status.snapshot
            switch path {
            case "/metrics":
                return .init(status: 200, contentType: "text/plain; version=0.0.4", body: MetricsText.render(s, longestTurnMs: status.longestTurnMs))
            case "/healthz":
                var problems: [String] = []
                if s.restoring { problems.append("\"starting: restoring state from the snapshot and the journal\"") }
                if !s.connected { problems.append("\"not connected to the broker\"") }
                if s.subscriptionRefused { problems.append("\"the broker refused the readings subscription\"") }
                if !s.journalWritable { problems.append("\"journal not writable\"") }
                if let age = status.loopAgeMs, age > watchdogMs {
                    problems.append("\"service loop stalled: no turn completed for \(age) ms (watchdog \(watchdogMs) ms)\"")
                }
                if s.inputPause == IngestJournal.Pause.journalFull.rawValue {
                    problems.append("\"\(IngestJournal.Pause.journalFull.rawValue); readings wait in the broker\"")
                }
                let body = "{\"status\":\"\(problems.isEmpty ? "ok" : "unhealthy")\",\"connected\":\(s.connected),\"journal_writable\":\(s.journalWritable),\"problems\":[\(problems.joined(separator: ","))]}\n"
                return .init(status: problems.isEmpty ? 200 : 503, contentType: "application/json", body: body)
            case "/":
                return .init(status: 200, contentType: "text/html; charset=utf-8", body: StatusPage.render(s, gatewayID: gatewayID, validRange: range, loopAgeMs: status.loopAgeMs))
            default:
                return .init(status: 404, contentType: "text/plain", body: "not found; try /, /metrics or /healthz\n")
            }
        }
    }
}
