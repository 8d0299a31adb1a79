import Logging
import MQTT

/// Replay requests taken on the output connection (docs/INTERFACE.md section 5): each is
/// answered in the background by a `ReplayResponder` reading the journal's files, at most
/// `replay-max-concurrent` at once (`ReplaySlots`), within the limits a SIGHUP reload may change.
///
/// Confined to the service loop's thread (`GatewayService`); the replays themselves run off it.
final class Replays {
    private let journalDirectory: String
    private var client: MQTTClient
    private let deadLetters: ReplayResponder.DeadLetterRoute
    private let configured: ReplayLimits
    private let live: LiveSettings?
    private let slots = ReplaySlots()
    private let logger: Logger
    /// Replay requests taken since start.
    private(set) var requested = 0
    /// Requests dead-lettered since start (no usable reply topic), by reason code: counted with
    /// the engine's dead letters, since they went to `dlq/` too (found black-box, 58th review:
    /// `sensor_gateway_dead_letters_total` did not move for them).
    private var deadLettered: [String: Int] = [:]
    /// Requests refused at once since start, by reason (found black-box, 84th review: the
    /// requests' count alone did not tell answered ones from refused ones).
    private var refused: [ReplayResponder.RefusalReason: Int] = [:]
    /// The refusals' log lines, at most 30 a minute (found black-box, 58th review: 3,000 bad
    /// requests wrote 3,000 lines in 2 s).
    private var refusals: MinuteLogBudget

    /// `client`: the output connection, which answers.
    init(configuration: GatewayConfiguration, client: MQTTClient, live: LiveSettings?, logger: Logger) {
        journalDirectory = configuration.journalDirectory
        self.client = client
        deadLetters = .init(gatewayID: configuration.gatewayID, maxPayloadBytes: configuration.engine.maxPayloadBytes)
        configured = configuration.replay
        self.live = live
        self.logger = logger
        refusals = MinuteLogBudget(logger: logger, kind: "replay refusals")
    }

    /// Starts answering the request in `payload` (or refuses it).
    func start(_ payload: [UInt8]) {
        requested += 1
        guard
            let refusal = ReplayResponder.start(
                payload, journalDirectory: journalDirectory, client: client, limits: live?.replayLimits ?? configured, slots: slots,
                deadLetters: deadLetters, logger: logger)
        else { return }
        refusals.notice(refusal.message, refusal.metadata, now: Clocks.monotonicMilliseconds())
        refused[refusal.reason, default: 0] += 1
        if let reason = refusal.deadLetterReason { deadLettered[reason, default: 0] += 1 }
    }

    /// A SIGHUP replaced the broker session: replays answer on its output connection.
    func reconnected(to output: MQTTClient) { client = output }

    /// The replays' part of the status (after the engine's counters: its dead letters add to
    /// theirs).
    func report(into s: inout GatewayStatusSnapshot) {
        refusals.endMinuteIfOver(now: Clocks.monotonicMilliseconds())
        s.runtime.replays = requested
        s.runtime.replaysRefused = Dictionary(uniqueKeysWithValues: refused.map { ($0.rawValue, $1) })
        for (reason, count) in deadLettered {
            s.counters.deadLetters += count
            s.counters.deadLettersByReason[reason, default: 0] += count
        }
    }
}
