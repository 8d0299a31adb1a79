import Foundation

/// A minimal HTTP/1.1 GET over a loopback socket, for testing the gateway's endpoints.
public enum HTTPGet {
    public struct Response: Sendable {
        public var status: Int
        public var headers: String
        public var body: String
    }

    /// `get` on a thread outside Swift concurrency's small pool, so a slow server never holds up
    /// the other tasks of a test (on 2 cores the pool has 2 threads).
    public static func fetch(port: Int32, path: String, timeoutSeconds: Int = 30) async throws -> Response {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try get(port: port, path: path, timeoutSeconds: timeoutSeconds) })
            }
        }
    }

    /// `timeoutSeconds` bounds each receive (0: none); a server that does not answer in time
    /// gives status 0.
    public static func get(port: Int32, path: String, timeoutSeconds: Int = 0) throws -> Response {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        if timeoutSeconds > 0 {
            var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }
        guard LoopbackNetwork.connect(fd, port: port) else { throw TimedOut("connection to port \(port)") }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var data = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            data += chunk[0..<n]
        }
        let text = String(decoding: data, as: UTF8.self)
        let parts = text.components(separatedBy: "\r\n\r\n")
        let head = parts.first ?? ""
        let status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
        return Response(status: status, headers: head, body: parts.dropFirst().joined(separator: "\r\n\r\n"))
    }
}

extension LoopbackNetwork {
    /// Connects `fd` to 127.0.0.1:`port`; false when refused.
    public static func connect(_ fd: Int32, port: Int32) -> Bool {
        var addr = LoopbackNetwork.loopback(port: port)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Foundation.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return rc == 0
    }
}
