import MQTT
import Wire

/// Tells, from the gateway's own retained status topic, when another gateway with the same
/// `gateway-id` is online on the broker: a cloned box, or a second `run` with another data
/// folder. The two take over each other's connections (one client id) and both publish the
/// cleaned stream, which then repeats and contradicts itself; the broker's log says only
/// "already connected, closing old connection", and the gateway's only "connection lost"
/// (found black-box).
///
/// An `online` status with another `started_at` than this run's is another instance when it
/// arrives live (not retained: someone published it just now), or retained but started after
/// this run and not by this data folder's previous run (a previous run of this box started
/// before it, unless the clock stepped back; its retained `online` can outlive it until the
/// broker publishes its will).
struct OtherInstanceWatch {
    /// Another instance's status, as it announced itself.
    struct Sighting: Equatable {
        var startedAt: Int64
        var version: String?
    }

    let startedAt: Int64
    /// When this data folder's previous run started (`PreviousRunStart`; nil: not known).
    var previousStartedAt: Int64? = nil

    /// The other instance `message` on the status topic shows, if it shows one.
    func sighting(in message: MQTTMessage) -> Sighting? {
        guard let notice = try? WireJSON.decode(GatewayStatusNotice.self, from: message.payload), notice.state == .online,
            let other = notice.startedAt, other != startedAt, !message.retain || (other > startedAt && other != previousStartedAt)
        else { return nil }
        return Sighting(startedAt: other, version: notice.version)
    }

    /// Whether `message` is an `offline` status published just now (not the retained one a
    /// subscription hands over): another instance with this id stopping, or this gateway's own
    /// earlier session after a SIGHUP reconnection, replaced this run's retained `online`, so
    /// the status topic says offline while this run is up (found black-box).
    static func isLiveOffline(_ message: MQTTMessage) -> Bool {
        guard !message.retain, let notice = try? WireJSON.decode(GatewayStatusNotice.self, from: message.payload) else { return false }
        return notice.state == .offline
    }
}
