import MQTT
import Testing

@testable import Gateway

/// When the broker counts as answering, on a scripted clock (`BrokerProbe`).
@Suite("Whether the broker answers")
struct BrokerProbeTests {
    static func answers(_ probe: inout BrokerProbe, _ now: Int64, output: Bool, waiting: Bool) -> Bool {
        probe.answering(now: now, outputConnected: output, publicationsUnanswered: waiting)
    }

    @Test("a probe goes out after half a second without input or acknowledgements; unanswered for a second, the broker is not answering; answered, it is again")
    func probeCycle() {
        var probe = BrokerProbe(now: 0)
        #expect(!probe.due(now: 499))
        #expect(probe.due(now: 500))
        probe.sent(MessageID(7), at: 500)
        #expect(!probe.due(now: 900), "one probe at a time")
        #expect(Self.answers(&probe, 1_499, output: true, waiting: false))
        #expect(!Self.answers(&probe, 1_500, output: true, waiting: false))
        #expect(probe.isPending(MessageID(7)) && !probe.isPending(MessageID(8)))
        let other = probe.answered(MessageID(8), at: 1_600)
        #expect(!other, "another publication's acknowledgement is not the probe's")
        let own = probe.answered(MessageID(7), at: 1_700)
        #expect(own)
        #expect(Self.answers(&probe, 1_700, output: true, waiting: false))
        #expect(!probe.due(now: 2_199) && probe.due(now: 2_200))
        probe.heard(at: 2_100)
        #expect(!probe.due(now: 2_200), "input heard since: no probe needed yet")
    }

    /// Found black-box (70th review): the keepalive dropped the output connection of a broker
    /// hung for 90 s while the input one still looked up; counted as answering, every sensor went stale.
    @Test("without the output connection the broker is not answering; publications unanswered are not either")
    func outputDownOrPublicationsWaiting() {
        var probe = BrokerProbe(now: 0)
        #expect(!Self.answers(&probe, 100, output: false, waiting: false))
        #expect(!Self.answers(&probe, 100, output: true, waiting: true))
        #expect(Self.answers(&probe, 100, output: true, waiting: false))
        // A probe lost with its connection waits for no answer on the next one.
        probe.sent(MessageID(3), at: 600)
        _ = probe.answering(now: 700, outputConnected: false, publicationsUnanswered: false)
        #expect(!probe.isPending(MessageID(3)))
        // Back, nothing heard for long: not known to answer until the probe's answer.
        #expect(!Self.answers(&probe, 5_000, output: true, waiting: false))
        #expect(probe.due(now: 5_000))
        probe.sent(MessageID(4), at: 5_000)
        #expect(!Self.answers(&probe, 5_005, output: true, waiting: false))
        _ = probe.answered(MessageID(4), at: 5_010)
        #expect(Self.answers(&probe, 5_010, output: true, waiting: false))
        // A probe whose answer never comes is given up for another after five seconds.
        probe.sent(MessageID(5), at: 6_000)
        #expect(!probe.due(now: 10_999) && probe.due(now: 11_000))
    }

    /// Found black-box (70th review): a link throttled to 10 KB/s let acknowledgements trickle,
    /// each seconds after its send, and every sensor went stale.
    @Test("an acknowledgement two seconds after its send means the broker is not answering for the next second")
    func slowAcknowledgements() {
        var probe = BrokerProbe(now: 0)
        probe.acknowledged(inFlight: 1_999_999, at: 100)
        #expect(Self.answers(&probe, 100, output: true, waiting: false))
        probe.acknowledged(inFlight: 2_000_000, at: 200)
        #expect(!Self.answers(&probe, 1_199, output: true, waiting: false))
        #expect(Self.answers(&probe, 1_200, output: true, waiting: false))
    }
}
