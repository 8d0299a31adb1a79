/// Whether the gateway hears its sensors, as the engine's stale times need to know: the broker
/// has acknowledged its readings subscription and answers (`BrokerProbe`), and the gateway is
/// reading that input as it comes. Input
/// paused (the pipeline behind, the journal full) leaves the sensors' readings queued at the
/// broker, so a sensor's silence then is the gateway's own deafness, as a lost connection is
/// (found black-box: one sender's flood put the gateway a minute behind, and 1,841 sensors
/// publishing every second were marked stale and asked to resend everything they held, which
/// fed the backlog).
///
/// Sampled once a turn. Input counts as heard again only after `settleMs` subscribed and without
/// a pause: under a sustained backlog input is paused and resumed many times a second, and the
/// engine should see one deaf spell, not hundreds; and after a start or a reconnection the
/// broker delivers what it queued meanwhile only then (found by a SIGKILL loop: 30 of 2,800
/// sensors were marked stale 20 ms after a restart's connection, before the subscription was
/// acknowledged and their queued readings read).
struct InputHearing {
    /// How long input must run subscribed and without a pause before the gateway counts as
    /// listening again.
    static let settleMs: Int64 = 1_000

    /// The last time (monotonic ms) input was seen paused or not subscribed.
    private var lastDeaf: Int64?
    /// The last time (monotonic ms) input was seen paused.
    private var lastPaused: Int64?
    /// Since when (monotonic ms) input has been paused, or settling after a pause: the gateway
    /// is behind its input (nil: it keeps up).
    private(set) var behindSince: Int64?

    /// Whether the gateway hears its sensors at `now` (monotonic ms): `subscribed` is whether the
    /// broker acknowledged the readings subscription on the current connection, `paused` whether
    /// the ingest is refusing to read input now.
    mutating func listening(subscribed: Bool, paused: Bool, now: Int64) -> Bool {
        if paused {
            lastPaused = now
            if behindSince == nil { behindSince = now }
        } else if let last = lastPaused, now - last >= Self.settleMs {
            behindSince = nil
        }
        if paused || !subscribed { lastDeaf = now }
        guard subscribed, !paused else { return false }
        return lastDeaf.map { now - $0 >= Self.settleMs } ?? true
    }
}
