/// Whether the gateway's own edge node reaches the broker's subscribers, as far as the gateway
/// can tell: its connection is up and born, and its `NBIRTH` came back to it on its own
/// subscription. A QoS 0 publish the broker's ACL denies gets no refusal, so hearing its own
/// birth is the one sign that the node's messages go anywhere. What `/healthz`, the
/// `sensor_gateway_sparkplug_output_up` metric and, with `cleaned-topics off`, the publisher go by.
struct SparkplugOutputHealth: Equatable, Sendable {
    /// Born on a connection that is up.
    private(set) var online = false
    /// The current session's `NBIRTH` was heard back.
    private(set) var confirmed = false
    /// The broker refused the node its own `NBIRTH` topic: it cannot confirm, and is taken at its word.
    private(set) var cannotConfirm = false
    /// Since when (monotonic ms) it has not been up; nil while up.
    private(set) var downSince: Int64?
    /// Connected, and not born because the primary host it waits for is not online.
    private(set) var waitingFor: String?

    init(now: Int64) {
        downSince = now
    }

    var isUp: Bool { online && (confirmed || cannotConfirm) }

    /// Why it is not up, for `/healthz` and the log (nil while up).
    func reason(node: SparkplugEdgeNodeID) -> String? {
        if isUp { return nil }
        if let host = waitingFor {
            return "it waits for its primary host \(host), whose STATE (spBv1.0/STATE/\(host)) does not say online"
        }
        if !online { return "its connection to the broker is down" }
        return
            "its NBIRTH was not delivered back to it: the broker's ACL likely denies the gateway's user writing \(node.topic(.nodeBirth)) and its other topics (a QoS 0 publish gets no refusal), so no host receives it"
    }

    mutating func born(now: Int64) { session(online: true, waitingFor: nil, now: now) }

    mutating func offline(now: Int64) { session(online: false, waitingFor: nil, now: now) }

    /// Connected, but not born: `host` is not online.
    mutating func waiting(for host: String, now: Int64) { session(online: false, waitingFor: host, now: now) }

    /// A session's start or end: its birth is unheard until `heardBirth`.
    private mutating func session(online: Bool, waitingFor host: String?, now: Int64) {
        self.online = online
        confirmed = false
        waitingFor = host
        update(now)
    }

    mutating func heardBirth(now: Int64) {
        confirmed = true
        update(now)
    }

    mutating func confirmationRefused(now: Int64) {
        cannotConfirm = true
        update(now)
    }

    private mutating func update(_ now: Int64) {
        if isUp {
            downSince = nil
        } else if downSince == nil {
            downSince = now
        }
    }
}
