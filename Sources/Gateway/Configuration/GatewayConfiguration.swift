import Journal
import Logging
import Recovery
import Wire

/// Everything `sensor-gateway run` can be told (docs/INTERFACE.md section 7), with its defaults.
public struct GatewayConfiguration: Sendable {
    public typealias BrokerScheme = BrokerURL.Scheme

    public var brokerScheme: BrokerScheme = .mqtt
    public var brokerHost = "127.0.0.1"
    public var brokerPort: Int32 = 1883
    public var gatewayID: String
    public var clientID: String?
    public var dataDirectory = "./data"
    public var engine = EngineConfiguration()
    public var journalMaxBytes = 256 << 20
    public var fsync: FsyncMode = .interval
    /// With `fsync interval`: the most journal syncs a second (a flash-wear budget for SD cards
    /// and eMMC). The journal syncs as soon as something written waits on durability and the
    /// previous sync has ended, within this budget; cleaned output waits for the sync, so the
    /// budget's spacing (10 ms at the default) bounds the latency it adds, and each sync writes
    /// a 4 KiB page again, so it is also the flash a second that syncs cost. 100: p99 11 ms at
    /// 1,000 readings/s, about 650 bytes written per reading when readings arrive spread over
    /// the second; 500 gives p99 about 3 ms at 3.4 times the writes; 20 gives the old 50 ms
    /// timer's count and latency back, at half the writes (docs/PERFORMANCE.md, "Latency's floor").
    public var fsyncMaxPerSecond = GatewayConfiguration.defaultFsyncMaxPerSecond
    public static let defaultFsyncMaxPerSecond = 100
    /// How often the engine state is saved (in the background). Until a snapshot covers it,
    /// the journal keeps input it could otherwise reclaim; a restart replays what follows it.
    public var snapshotIntervalMs: Int64 = 10_000
    /// A restart replays the journal after the last engine snapshot: once that would be more
    /// than this many records, a snapshot is due at once (every 0.5 s at most, at the cost of
    /// its bytes on flash), whatever the journal's growth. 100,000 records replayed in about a
    /// second on the 2-core box at 10,000 sensors (docs/PERFORMANCE.md). 0, the default: no
    /// bound (snapshots wait for the journal to grow by 16 times their size, or to run short of
    /// room), since a bound also brings snapshots where they are large for the input (a
    /// one-hour late horizon's, about 9 KB a sensor), which the flash budget does not allow.
    public var restartReplayMaxRecords: UInt64 = 0
    /// Publications handed to the broker and not yet acknowledged, at most. Debian's libmosquitto
    /// 2.0 walks all of them for every acknowledgement, so more costs CPU per reading; a broker
    /// far away (round trip R) needs about R times the output rate to keep up.
    public var maxInFlight = 250
    /// `/healthz` answers 503 when the service loop has not completed a turn for this long (it
    /// turns at least every 200 ms when idle; a turn handles a bounded batch).
    public var watchdogMs: Int64 = 5_000
    public var replay = ReplayLimits()
    /// `nil` disables the HTTP endpoint.
    public var http: (host: String, port: Int32)? = ("127.0.0.1", 9464)
    public var caFile: String?
    public var certFile: String?
    public var keyFile: String?
    public var username: String?
    /// Read from `passwordFile` at start-up; never logged (`Secret`).
    public var password: Secret?
    public var passwordFile: String?
    /// The least severe log level written, and how lines are written (`GatewayLogHandler`).
    public var logLevel: Logger.Level = .info
    public var logFormat: LogFormat = .text
    /// The gateway's own Sparkplug B edge node for the cleaned stream (`sparkplug-edge-node`;
    /// docs/SPARKPLUG.md): nil publishes none.
    public var sparkplugEdgeNode: SparkplugEdgeNodeID?
    /// Whether the cleaned stream goes out on `cleaned/` and `latest/` (`cleaned-topics`); off, it
    /// goes out only as the Sparkplug edge node, and its publications are done once shown to it.
    public var cleanedTopics = true
    /// The Sparkplug host application id under which the input connection publishes its retained
    /// `spBv1.0/STATE/<id>` (`sparkplug-host-id`): nil publishes none.
    public var sparkplugHostID: String?
    /// The primary host the gateway's own edge node waits for (`sparkplug-primary-host`): born
    /// only while its `STATE` says online. nil: it does not wait.
    public var sparkplugPrimaryHost: String?
    /// A fault injected for reliability runs, never in service (`SENSOR_GATEWAY_FAULT_INJECTION`;
    /// docs/RELIABILITY.md): nil runs normally.
    public var faultInjection: FaultInjection?

    /// Faults the gateway can inject into itself, so that a test can approximate what a kill
    /// cannot cause.
    public enum FaultInjection: String, Sendable {
        /// The journal holds unsynced writes in memory (`PowerLossFileSystem`): a SIGKILL then
        /// loses what a power cut would.
        case powerLoss = "power-loss"
    }

    public init(gatewayID: String) {
        self.gatewayID = gatewayID
        engine.gatewayID = gatewayID
        engine.futureToleranceMs = EngineConfiguration.defaultFutureToleranceMs
        engine.maxSensors = EngineConfiguration.defaultMaxSensors
        engine.sensorRetentionMs = EngineConfiguration.defaultSensorRetentionMs
    }

    /// The MQTT client id: `sensor-gateway-<gateway id>` unless set.
    public var effectiveClientID: String { clientID ?? "sensor-gateway-\(gatewayID)" }

    /// The client id of the connection that publishes: the input's with `-out` appended.
    public var outputClientID: String { effectiveClientID + "-out" }

    /// The client id of the Sparkplug edge node's connection: the input's with `-spb` appended.
    public var sparkplugClientID: String { effectiveClientID + "-spb" }

    public var statusTopic: String { Topics.gatewayStatus(gatewayID) }
    public var replayTopic: String { Topics.replayRequests(gatewayID) }
    public var journalDirectory: String { "\(dataDirectory)/journal" }
    public var snapshotPath: String { "\(dataDirectory)/engine.snapshot" }
    /// The last start that found journal damage (`JournalDamageHistory`).
    public var damageHistoryPath: String { "\(dataDirectory)/journal-damage" }
    /// Where the previous run's start time is kept (`PreviousRunStart`).
    public var lastStartPath: String { "\(dataDirectory)/last-start" }
    /// Where the timeline's lead over the wall clock is kept for the next start (`ClockLeadFile`).
    public var clockLeadPath: String { "\(dataDirectory)/clock-lead" }
    /// Where the Sparkplug edge node keeps its last `bdSeq` (`SparkplugBirthCounter`).
    public var sparkplugBirthCounterPath: String { "\(dataDirectory)/sparkplug-bdseq" }
}
