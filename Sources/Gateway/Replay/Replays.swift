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

    /// `client`: the output connection, which answers.
    init(configuration: GatewayConfiguration, client: MQTTClient, live: LiveSettings?, logger: Logger) {
        journalDirectory = configuration.journalDirectory
        self.client = client
        deadLetters = .init(gatewayID: configuration.gatewayID, maxPayloadBytes: configuration.engine.maxPayloadBytes)
        configured = configuration.replay
        self.live = live
        self.logger = logger
    }

    /// Starts answering the request in `payload` (or refuses it).
    func start(_ payload: [UInt8]) {
        requested += 1
        ReplayResponder.start(
            payload, journalDirectory: journalDirectory, client: client, limits: live?.replayLimits ?? configured, slots: slots,
            deadLetters: deadLetters, logger: logger)
    }

    /// A SIGHUP replaced the broker session: replays answer on its output connection.
    func reconnected(to output: MQTTClient) { client = output }

    /// The replays' part of the status.
    func report(into s: inout GatewayStatusSnapshot) {
        s.runtime.replays = requested
    }
}
