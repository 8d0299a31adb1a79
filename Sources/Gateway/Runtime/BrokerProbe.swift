import MQTT

/// Whether the broker is answering, told from what it sends: input, acknowledgements, and when
/// neither came for half a second, the acknowledgement of a small probe the gateway publishes for it.
///
/// A hung broker (stopped, swapping, its disk stalled; a network path that drops packets without
/// closing the connection) keeps the connections up until the keepalive expires, about a minute.
/// Meanwhile no reading arrives, and the sensors' silence is the broker's, not theirs: it must
/// not mark the fleet stale and ask every sensor to resend (found black-box, 69th review: a
/// 15 s hang marked all 4,502 sensors stale and sent 2,000 open-ended resend requests, while
/// INTERFACE.md section 4 says a broker outage does neither). The gateway counts as not
/// listening (`InputHearing`) while the broker leaves something unanswered this long: a hang is
/// noticed within about 1.5 s, before any sensor's stale time at the default settings (4 s at
/// least, twice the reorder window).
///
/// The probe is a non-retained QoS 1 message on the gateway's own `gateway/<id>/latest-read`
/// topic, which the shipped ACL lets it write and nothing reads but a start's marker wait (which
/// knows its own payload). A broker whose ACL refuses it still answers: that is all it asks.
struct BrokerProbe {
    /// Without evidence this long (ms), a probe goes out.
    static let quietMs: Int64 = 500
    /// A probe (or a publication) unanswered this long (ms): the broker is not answering.
    static let unansweredMs: Int64 = 1_000
    /// What the probe says (and how a start's marker wait, which knows its own, tells it apart).
    static let payload = Array(#"{"probe":true}"#.utf8)
    /// An acknowledgement this long (µs) after its publication was sent is a broker (or a
    /// link to it) too slow to deliver the sensors' readings in time either: the gateway is not
    /// listening until acknowledgements come sooner (found black-box, 70th review: a link
    /// throttled to 10 KB/s let acknowledgements trickle, and every sensor went stale).
    static let slowAnswerMicroseconds: Int64 = 2_000_000

    private var pending: (messageID: MessageID, sentAt: Int64)?
    private var lastEvidence: Int64
    /// When (monotonic ms) an acknowledgement last came `slowAnswerMicroseconds` late.
    private(set) var lastSlowAnswerAt: Int64?

    init(now: Int64) { lastEvidence = now }

    /// The broker sent something at `now` (monotonic ms): input, or an acknowledgement.
    mutating func heard(at now: Int64) { lastEvidence = max(lastEvidence, now) }

    /// Whether a probe should go out at `now`: nothing was heard for `quietMs`, and none is
    /// waiting (or the one waiting was sent `reprobeMs` ago: its answer is not coming).
    func due(now: Int64) -> Bool {
        now - lastEvidence >= Self.quietMs && pending.map { now - $0.sentAt >= Self.reprobeMs } ?? true
    }

    /// A probe unanswered this long (ms) is given up for another.
    static let reprobeMs: Int64 = 5_000

    mutating func sent(_ messageID: MessageID, at now: Int64) { pending = (messageID, now) }

    /// `messageID` was acknowledged at `now` (a refusal's acknowledgement too: an answer all the
    /// same): returns whether it was the probe. Any acknowledgement is evidence the broker answers.
    mutating func answered(_ messageID: MessageID, at now: Int64) -> Bool {
        heard(at: now)
        guard pending?.messageID == messageID else { return false }
        pending = nil
        return true
    }

    /// Whether `messageID` is the probe waiting for its answer.
    func isPending(_ messageID: MessageID) -> Bool { pending?.messageID == messageID }

    /// The output connection closed: a probe in flight will not be answered on it.
    mutating func connectionLost(at now: Int64) {
        pending = nil
        lastEvidence = now
    }

    /// Whether the broker answers at `now`: the output connection is up (without it nothing can
    /// be asked; lost at the keepalive while the input connection still looks up, a broker hung
    /// past it, the sensors' silence is the broker's too: found black-box, 70th review, a 90 s
    /// hang marked every sensor stale 4 s after the keepalive), and neither the probe nor a
    /// publication in flight (`publicationsUnanswered`) has waited `unansweredMs`, nor an
    /// acknowledgement come slow since.
    mutating func answering(now: Int64, outputConnected: Bool, publicationsUnanswered: Bool) -> Bool {
        guard outputConnected else {
            connectionLost(at: now)
            return false
        }
        return !unanswered(now: now) && !publicationsUnanswered
    }

    /// An acknowledgement came at `now` for a publication in flight `inFlight` µs: the broker
    /// answers. Returns whether it came slow (`slowAnswerMicroseconds`).
    @discardableResult
    mutating func acknowledged(inFlight: Int64, at now: Int64) -> Bool {
        heard(at: now)
        guard inFlight >= Self.slowAnswerMicroseconds else { return false }
        lastSlowAnswerAt = now
        return true
    }

    /// Whether nothing was heard from the broker for `quietMs` + `unansweredMs` at `now` (the
    /// probe sent after the quiet has waited that long, or was sent late: a turn delayed past
    /// the quiet, on a loaded box, sends it only then, and until its answer the broker is not
    /// known to answer), or an acknowledgement came slow within the last `unansweredMs`.
    func unanswered(now: Int64) -> Bool {
        if let slow = lastSlowAnswerAt, now - slow < Self.unansweredMs { return true }
        return now - lastEvidence >= Self.quietMs + Self.unansweredMs
    }
}
