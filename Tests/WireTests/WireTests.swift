import Testing
import Wire

@Suite("The interface's vocabulary")
struct WireTests {
    @Test("topics are the ones docs/INTERFACE.md names")
    func topics() {
        #expect(Topics.reading("press-01") == "sensors/press-01/temperature")
        #expect(Topics.resend("press-01") == "sensors/press-01/resend")
        #expect(Topics.cleaned("press-01") == "cleaned/press-01/temperature")
        #expect(Topics.deadLetter("press-01") == "dlq/press-01/temperature")
        #expect(Topics.invalidDeadLetter == "dlq/_invalid/temperature")
        #expect(Topics.aggregate("press-01", window: "60s") == "aggregates/press-01/temperature/60s")
        #expect(Topics.sensorState(gateway: "edge-1", sensor: "press-01") == "gateway/edge-1/sensors/press-01")
        #expect(Topics.gatewayStatus("edge-1") == "gateway/edge-1/status")
        #expect(Topics.replayRequests("edge-1") == "gateway/edge-1/replay")
        #expect(Topics.replayReply("r1") == "replay/r1")
        #expect(Topics.sensor(ofResend: "sensors/press-01/resend") == "press-01")
        for notResend in ["sensors/press-01/temperature", "sensors//resend", "sensors/a/b/resend", "x/press-01/resend"] {
            #expect(Topics.sensor(ofResend: notResend) == nil, "\(notResend)")
        }
    }

    @Test("broker URLs: schemes, default ports, IPv6 hosts; anything else refused")
    func brokerURLs() {
        let plain = BrokerURL("mqtt://broker.plant:1884")
        #expect(plain?.scheme == .mqtt && plain?.host == "broker.plant" && plain?.port == 1884)
        #expect(BrokerURL("mqtt://127.0.0.1")?.port == 1883)
        #expect(BrokerURL("mqtts://broker")?.port == 8883)
        let v6 = BrokerURL("mqtt://[::1]:1883")
        #expect(v6?.host == "::1" && v6?.port == 1883)
        #expect(v6?.description == "mqtt://[::1]:1883")
        for bad in ["tcp://host:1883", "mqtt:/host", "mqtt://", "mqtt://host:0", "mqtt://host:70000", "mqtt://host:x", "mqtt://[::1", "host:1883"] {
            #expect(BrokerURL(bad) == nil, "\(bad)")
        }
    }
}
