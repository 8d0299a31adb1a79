import Logging
/// Everything needed to open one MQTT session with a broker.
///
/// Defaults match what the gateway needs: a persistent session (clean session off) so the broker
/// queues QoS 1 readings while the client is away, and exponential reconnect backoff.
public struct MQTTConfiguration: Sendable {
    /// A message the broker publishes on the client's behalf when the client vanishes.
    public struct Will: Sendable {
        public var topic: String
        public var payload: [UInt8]
        public var qos: QoS
        public var retain: Bool
        public init(topic: String, payload: [UInt8], qos: QoS = .atLeastOnce, retain: Bool = true) {
            self.topic = topic
            self.payload = payload
            self.qos = qos
            self.retain = retain
        }
    }

    /// Files for a TLS connection (`mqtts://`). Only `caFile` is required.
    public struct TLS: Sendable {
        public var caFile: String
        public var certFile: String?
        public var keyFile: String?
        public init(caFile: String, certFile: String? = nil, keyFile: String? = nil) {
            self.caFile = caFile
            self.certFile = certFile
            self.keyFile = keyFile
        }
    }

    public var host: String
    public var port: Int32
    public var clientID: String
    public var keepAliveSeconds: Int32 = 30
    /// How long a CONNECT may wait for the broker's CONNACK once TCP is up. Past it the attempt
    /// fails, saying the broker accepted TCP but did not answer MQTT (a hung broker, or another
    /// service on the port), and is retried with backoff; libmosquitto alone would wait out the
    /// keepalive and then report only "Unknown error".
    public var connackTimeoutSeconds: Int32 = 10
    public var cleanSession: Bool = false
    public var username: String?
    public var password: String?
    public var tls: TLS?
    public var will: Will?
    /// A will made anew before each connection attempt, replacing `will` (called on the network
    /// thread): for wills that must differ per connection, as a Sparkplug edge node's `NDEATH`
    /// carries the `bdSeq` of the connection it belongs to, and a host's `STATE` the time of its
    /// birth.
    public var willForConnect: (@Sendable () -> Will?)?
    /// Reconnect backoff: first delay and the cap, in seconds, doubling in between; back to the
    /// first delay once the broker accepts a connection.
    public var reconnectDelayMin: UInt32 = 1
    public var reconnectDelayMax: UInt32 = 30
    /// How many QoS 1/2 messages may be in flight towards the broker at once.
    public var maxInflightMessages: UInt32 = 1000
    /// Sends each packet at once instead of letting Nagle's algorithm hold small ones back for
    /// an acknowledgement (up to 40 ms with delayed ACKs): readings are small and latency counts.
    public var tcpNoDelay = true
    /// The largest packet the broker may send this client, in bytes (nil: no limit). When set,
    /// the client speaks MQTT 5, whose CONNECT carries this as its Maximum Packet Size: the broker
    /// then drops a larger message for this client instead of sending it (mosquitto logs
    /// "Dropping too large outgoing PUBLISH"). libmosquitto 2.0 itself allocates whatever size a
    /// packet header announces before reading it, so without this one huge message can exhaust
    /// memory, fail the connection, and arrive again on every reconnection. A persistent session
    /// (`cleanSession` false) is asked never to expire, as MQTT 3.1.1's does.
    public var maximumInboundPacketBytes: UInt32?
    /// Where libmosquitto's own log goes, at matching levels, while this logger's level is
    /// `debug` or lower (its level may change while the client runs: a reload). nil: never
    /// forwarded. libmosquitto formats a line for every packet once a log callback is set, so
    /// the callback is set only while the level asks for it.
    public var libraryLogger: Logger?

    public init(host: String, port: Int32, clientID: String) {
        self.host = host
        self.port = port
        self.clientID = clientID
    }
}
