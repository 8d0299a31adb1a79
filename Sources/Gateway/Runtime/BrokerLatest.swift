import Logging
import MQTT
import Recovery
import Synchronization
import Waiting
import Wire

/// What the broker's retained `latest/` values say the gateway published last, per stream (by
/// `latest/<id>/<measurement>` topic, every measurement's): read once at start-up, before the
/// engine is restored, on a short connection of its own.
///
/// Output is journaled before it is sent, so no retained `latest/` value gets past what a whole
/// journal holds. A data folder put back from an older copy cannot know what went out after it;
/// the broker can (`RecoveryEngine.publishedBeyondJournal`, OPERATIONS.md "Backups").
///
/// Optional, and it never stops the start: with `latest off`, without a broker within
/// `connectTimeoutMs`, or where the broker's ACL does not let the gateway read `latest/#`,
/// nothing is known (logged) and the start goes on as before. The retained values come right
/// after the subscription's acknowledgement; `quietMs` without one more ends the reading, or
/// sooner the gateway's own marker (`Topics.latestReadMarker`), published once the retained
/// values are queued, which mosquitto delivers behind them (a broker or ACL that does not pass
/// it on leaves the quiet wait: measured, the half second was half of a restart's wait). Live
/// messages (another gateway publishing on `latest/`, the retain flag cleared for a subscriber)
/// are neither kept nor counted: they kept the reading going for its whole `limitMs` (found
/// black-box: a 15 s start beside the box being replaced, where 0.5 s would do).
///
/// A shutdown request (SIGTERM during start-up) ends every wait at once: nothing is known then
/// either, and the gateway goes on to stop instead of waiting out `connectTimeoutMs` for a
/// broker that does not answer (found black-box: SIGTERM held for 5.5 s).
enum BrokerLatest {
    static func read(
        _ configuration: GatewayConfiguration, logger: Logger, shutdown: ShutdownSignal? = nil, connectTimeoutMs: Int64 = 5000, quietMs: Int64 = 500,
        limitMs: Int64 = 15_000
    ) -> Reading {
        guard configuration.engine.withoutLatest != true else {
            // Said, at notice, since the docs promise a start says when the check is not made
            // (found black-box, 67th review: `latest off` skipped it without a word).
            logger.notice(
                "latest is off: the journal is not compared with retained latest/ values at this start (a backup put back or a wiped data folder would go unnoticed)"
            )
            return Reading()
        }
        var settings = BrokerSession.base(configuration, clientID: configuration.effectiveClientID + "-latest")
        settings.cleanSession = true
        let seen = Seen()
        shutdown?.onRequest { seen.stop() }
        func stopped() -> Bool {
            guard seen.state.stopped else { return false }
            logger.notice("stopping during start-up: the journal is not checked against the broker's retained latest/ values")
            return true
        }
        /// Says why the journal is not checked (a warning unless `notice`) and returns that.
        func unchecked(_ why: String, notice: Bool = false, _ metadata: Logger.Metadata = [:]) -> Reading {
            let line: Logger.Message = "\(why): the journal is not checked against the broker's retained latest/ values"
            if notice { logger.notice(line, metadata: metadata) } else { logger.warning(line, metadata: metadata) }
            return Reading(notChecked: why)
        }
        logger.info("reading the broker's retained latest/ values, to check the journal against them")
        let client: MQTTClient
        do {
            client = try MQTTClient(settings, onEvents: { seen.add($0) })
            try client.start()
        } catch {
            return unchecked("cannot read the broker's retained latest/ values (\(error))")
        }
        defer { client.disconnectBlocking(timeout: .seconds(2)) }
        guard seen.wait(atMost: connectTimeoutMs, until: { $0.connected || $0.refusal != nil || $0.tlsFailure != nil }), seen.state.connected else {
            if stopped() { return Reading() }
            if let refusal = seen.state.refusal, let code = refusal.connackCode {
                // A refusal is an answer: no use waiting out the rest of `connectTimeoutMs`, and
                // "not reachable" would send the operator to the network, not the password.
                return unchecked(
                    "the broker refused the connection (\(refusal.message))",
                    ["code": "connack \(code)", "check": "\(BrokerSession.refusal(connack: code))"])
            }
            if let failure = seen.state.tlsFailure {
                // The broker answered and the TLS handshake failed: "not reachable" sent the
                // operator to the network (found black-box, 90th review: mqtts:// to a plain port).
                return unchecked("the broker's TLS connection failed (\(failure.message))")
            }
            return unchecked("the broker was not reachable within \(connectTimeoutMs / 1000) s of the start", notice: true)
        }
        let filter = Topics.latest("+", "+")
        do {
            try client.subscribe(filter)
        } catch {
            return unchecked("cannot subscribe to the broker's retained latest/ values (\(error))")
        }
        guard seen.wait(atMost: connectTimeoutMs, until: { $0.subscribed != nil }), seen.state.subscribed == true else {
            if stopped() { return Reading() }
            return unchecked("the broker did not let the gateway read latest/# (its ACL; deploy/mosquitto.acl grants it)")
        }
        // The retained values are queued for this connection by now; the marker, subscribed to
        // and then published, comes behind them.
        let marker = Topics.latestReadMarker(configuration.gatewayID)
        if (try? client.subscribe(marker)) != nil, seen.wait(atMost: connectTimeoutMs, until: { $0.answeredSubscriptions >= 2 }),
            seen.state.refusedSubscriptions == 0
        {
            _ = try? client.publish(topic: marker, payload: seen.markerPayload, qos: .atLeastOnce)
        }
        let deadline = Clocks.monotonicMilliseconds() + limitMs
        while Clocks.monotonicMilliseconds() < deadline, !seen.state.markerSeen {
            let count = seen.state.messages.count
            if !seen.wait(atMost: quietMs, until: { $0.messages.count != count || $0.markerSeen }) { break }
        }
        if stopped() { return Reading() }
        if seen.state.markerRefused {
            // mosquitto grants a subscription its ACL will not deliver on, so a refused marker is
            // the one sign of an ACL from before 0.2.0, which lets the gateway write latest/ but
            // not read it: then nothing is delivered, and `JournalRestore` says so.
            logger.notice(
                "the broker refused the gateway's latest-read marker (an ACL without `readwrite gateway/+/latest-read`, from before 0.2.0?): the read of the retained latest/ values ended after \(quietMs) ms of quiet",
                metadata: ["topic": "\(marker)"])
        }
        var out: [String: RecoveryEngine.PublishedLatest] = [:]
        for message in seen.state.messages where message.retain {
            guard let m = try? WireJSON.decode(CleanedReading.self, from: message.payload),
                message.topic == Topics.latest(m.sensorID, m.measurement ?? Topics.defaultMeasurement)
            else { continue }
            out[message.topic] = .init(seq: m.seq, ts: m.ts, boot: m.boot)
        }
        return Reading(values: out, markerRefused: seen.state.markerRefused)
    }

    /// What the read found: the retained values by `latest/` topic, or why none were read.
    struct Reading: Sendable {
        var values: [String: RecoveryEngine.PublishedLatest] = [:]
        /// Why the journal could not be checked against the broker (logged already); nil when
        /// the read was made, or not wanted (`latest off`, a shutdown during the start).
        var notChecked: String?
        /// The broker refused the marker that ends the read (`Topics.latestReadMarker`).
        var markerRefused = false
    }

    /// What the connection reported, for the start-up thread to wait on.
    private final class Seen: Sendable {
        struct State {
            var connected = false
            /// The broker's refusal of the connection (its CONNACK code in `connackCode`).
            var refusal: MQTTError?
            /// A failed attempt whose cause libmosquitto's TLS layer told (`TLS: ...`).
            var tlsFailure: MQTTError?
            /// nil until answered; false when refused.
            var subscribed: Bool?
            /// Subscriptions answered, and refused.
            var answeredSubscriptions = 0
            var refusedSubscriptions = 0
            /// The start-up's own marker came back: every retained value was delivered before it.
            var markerSeen = false
            /// The broker refused the marker's publication (an ACL that does not grant it).
            var markerRefused = false
            var messages: [MQTTMessage] = []
            /// Shutdown was requested: every wait ends.
            var stopped = false
        }

        private let current = Mutex(State())
        private let changed = MonotonicCondition()
        /// This reading's marker: another start's (a second process) is not taken for it.
        let markerPayload = Array("{\"latest_read\":\"\(UInt64.random(in: 1...UInt64.max))\"}".utf8)

        var state: State { current.withLock { $0 } }

        func add(_ events: [MQTTEvent]) {
            current.withLock { s in
                for event in events {
                    switch event {
                    case .connected: s.connected = true
                    case .connectFailed(let error) where error.connackCode != nil: s.refusal = error
                    case .connectFailed(let error) where error.message.hasPrefix("TLS: "): s.tlsFailure = error
                    case .subscribed:
                        if s.subscribed == nil { s.subscribed = true }
                        s.answeredSubscriptions += 1
                    case .subscriptionRefused:
                        if s.subscribed == nil { s.subscribed = false }
                        s.answeredSubscriptions += 1
                        s.refusedSubscriptions += 1
                    case .message(let m) where m.retain: s.messages.append(m)
                    case .message(let m) where m.payload == markerPayload: s.markerSeen = true
                    // The marker is this connection's only publication.
                    case .publishRefused: s.markerRefused = true
                    default: break
                    }
                }
            }
            changed.broadcast()
        }

        func stop() {
            current.withLock { $0.stopped = true }
            changed.broadcast()
        }

        /// Waits until `ready` holds, `milliseconds` at most, or until `stop`; returns whether
        /// `ready` holds.
        func wait(atMost milliseconds: Int64, until ready: @escaping (State) -> Bool) -> Bool {
            changed.wait(atMost: milliseconds) { current.withLock { $0.stopped || ready($0) } }
            return current.withLock { ready($0) }
        }
    }
}
