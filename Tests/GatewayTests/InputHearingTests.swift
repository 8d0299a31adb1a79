import Testing

@testable import Gateway

/// Input paused counts as deafness for the engine's stale times (thirty-third review: a flood
/// from one sender marked 1,841 live sensors stale, each asked to resend everything it held).
@Suite("Whether the gateway hears its sensors")
struct InputHearingTests {
    /// What `hearing` says at each (subscribed, paused, now) sample, in order.
    static func samples(_ steps: [(subscribed: Bool, paused: Bool, now: Int64)]) -> [Bool] {
        var hearing = InputHearing()
        return steps.map { hearing.listening(subscribed: $0.subscribed, paused: $0.paused, now: $0.now) }
    }

    @Test("subscribed and reading input: listening")
    func listeningWhenReading() {
        #expect(Self.samples([(true, false, 0), (true, false, 500)]) == [true, true])
    }

    @Test("not subscribed (connecting, or the subscription not acknowledged yet): not listening, whatever the pause")
    func deafWhenNotSubscribed() {
        #expect(Self.samples([(false, false, 0), (false, true, 10)]) == [false, false])
    }

    @Test(
        "after a start or a reconnection, not listening until subscribed for a settle time: the broker delivers what it queued meanwhile first (a SIGKILL loop: 30 of 2,800 sensors stale 20 ms after a restart's connection)"
    )
    func deafUntilSettledAfterSubscribing() {
        let settle = InputHearing.settleMs
        // Sampled every turn: the last sample without the subscription is when it came.
        let heard = Self.samples([
            (false, false, 0), (false, false, 100), (true, false, 101), (true, false, 100 + settle - 1), (true, false, 100 + settle),
            (false, false, 5_000), (true, false, 5_001), (true, false, 5_000 + settle),
        ])
        #expect(heard == [false, false, false, false, true, false, false, true])
    }

    @Test("input paused: not listening, and not again until it has run a settle time without a pause")
    func deafWhilePausedAndUntilSettled() {
        let settle = InputHearing.settleMs
        // Under a backlog, input resumes and pauses again many times a second: one deaf spell.
        let heard = Self.samples([
            (true, true, 10_000), (true, false, 10_050), (true, true, 10_100),
            (true, false, 10_100 + settle - 1), (true, false, 10_100 + settle),
        ])
        #expect(heard == [false, false, false, false, true])
    }

    @Test("behind since the first pause of a spell, until input has run a settle time without one (what /healthz reports)")
    func behindSinceTheSpellBegan() {
        var hearing = InputHearing()
        _ = hearing.listening(subscribed: true, paused: false, now: 0)
        #expect(hearing.behindSince == nil)
        _ = hearing.listening(subscribed: true, paused: true, now: 5_000)
        _ = hearing.listening(subscribed: true, paused: false, now: 5_500)
        _ = hearing.listening(subscribed: true, paused: true, now: 6_000)
        #expect(hearing.behindSince == 5_000)
        _ = hearing.listening(subscribed: true, paused: false, now: 6_000 + InputHearing.settleMs)
        #expect(hearing.behindSince == nil)
    }
}
