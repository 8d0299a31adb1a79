import Foundation

/// The settings a SIGHUP applies by reconnecting to the broker: where and as whom the gateway
/// connects, and what its TLS files hold (a renewed certificate at the same path is a change).
/// Compared whole: any difference reconnects both connections with the new settings.
struct BrokerConnectionSettings: Equatable, Sendable {
    var scheme: GatewayConfiguration.BrokerScheme
    var host: String
    var port: Int32
    var clientID: String
    var username: String?
    /// The password file's contents (never logged).
    var password: Secret?
    var caFile: String?
    var certFile: String?
    var keyFile: String?
    /// A digest of the TLS files' contents as read now (nil: no TLS files, or unreadable).
    var tlsContents: Int?
    /// The Sparkplug edge node and host id: each is a connection (or its will) of its own.
    var sparkplugEdgeNode: SparkplugEdgeNodeID?
    var sparkplugHostID: String?
    var sparkplugPrimaryHost: String?

    init(_ c: GatewayConfiguration) {
        scheme = c.brokerScheme
        host = c.brokerHost
        port = c.brokerPort
        clientID = c.effectiveClientID
        username = c.username
        password = c.password
        caFile = c.caFile
        certFile = c.certFile
        keyFile = c.keyFile
        tlsContents = BrokerConnectionSettings.digest([c.caFile, c.certFile, c.keyFile].compactMap { $0 })
        sparkplugEdgeNode = c.sparkplugEdgeNode
        sparkplugHostID = c.sparkplugHostID
        sparkplugPrimaryHost = c.sparkplugPrimaryHost
    }

    /// The settings' names whose values differ from `old`, for the log (never their values here:
    /// `SettingsReload` logs the setting values, and a password has none to show).
    func changes(from old: BrokerConnectionSettings) -> [String] {
        var out: [String] = []
        if scheme != old.scheme || host != old.host || port != old.port { out.append("broker") }
        if clientID != old.clientID { out.append("client-id") }
        if username != old.username { out.append("username") }
        if password != old.password { out.append("password") }
        if caFile != old.caFile || certFile != old.certFile || keyFile != old.keyFile { out.append("tls files") }
        if tlsContents != old.tlsContents && out.allSatisfy({ $0 != "tls files" }) { out.append("tls file contents") }
        if sparkplugEdgeNode != old.sparkplugEdgeNode { out.append("sparkplug-edge-node") }
        if sparkplugHostID != old.sparkplugHostID { out.append("sparkplug-host-id") }
        if sparkplugPrimaryHost != old.sparkplugPrimaryHost { out.append("sparkplug-primary-host") }
        return out
    }

    /// Hashes the files' bytes (within this process: only compared with another digest of it).
    private static func digest(_ paths: [String]) -> Int? {
        guard !paths.isEmpty else { return nil }
        var h = Hasher()
        for p in paths {
            h.combine(p)
            h.combine(FileManager.default.contents(atPath: p))
        }
        return h.finalize()
    }
}

/// Where the HTTP endpoint listens (`nil` in `GatewayConfiguration.http`: nowhere).
public struct HTTPAddress: Equatable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int32
    public init(host: String, port: Int32) {
        self.host = host
        self.port = port
    }
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

extension GatewayConfiguration {
    /// `http` as a value that can be compared.
    public var httpAddress: HTTPAddress? { http.map { HTTPAddress(host: $0.host, port: $0.port) } }
}
