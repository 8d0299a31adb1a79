/// A broker address as the command lines take it: `mqtt://HOST:PORT` or `mqtts://HOST:PORT`
/// (port optional: 1883 or 8883; an IPv6 host in brackets).
public struct BrokerURL: Sendable, Equatable {
    public enum Scheme: String, Sendable { case mqtt, mqtts }

    public var scheme: Scheme
    public var host: String
    public var port: Int32

    public init?(_ text: String) {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, parts[1].hasPrefix("//"), let scheme = Scheme(rawValue: String(parts[0])) else { return nil }
        self.scheme = scheme
        let rest = parts[1].dropFirst(2).split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return nil }
            host = String(rest[rest.index(after: rest.startIndex)..<close])
            let tail = rest[rest.index(after: close)...]
            port = tail.isEmpty ? (scheme == .mqtt ? 1883 : 8883) : (tail.hasPrefix(":") ? Int32(tail.dropFirst()) ?? -1 : -1)
        } else if let colon = rest.lastIndex(of: ":") {
            host = String(rest[..<colon])
            port = Int32(rest[rest.index(after: colon)...]) ?? -1
        } else {
            host = String(rest)
            port = scheme == .mqtt ? 1883 : 8883
        }
        guard !host.isEmpty, (1...65535).contains(port) else { return nil }
    }

    public var description: String { "\(scheme.rawValue)://\(host.contains(":") ? "[\(host)]" : host):\(port)" }
}
