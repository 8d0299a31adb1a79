import Testing

@testable import Sparkplug

@Suite("Sparkplug topics")
struct SparkplugTopicTests {
    @Test("node and device messages, a host's STATE, and what is not one")
    func shapes() {
        #expect(SparkplugTopic.parse("sensors/a/temperature") == nil)
        #expect(SparkplugTopic.parse("spBv1.0/Plant1/NDATA/Line3") == .message(SparkplugTopic(group: "Plant1", type: .nodeData, edgeNode: "Line3")))
        #expect(
            SparkplugTopic.parse("spBv1.0/Plant1/DDATA/Line3/Oven1")
                == .message(SparkplugTopic(group: "Plant1", type: .deviceData, edgeNode: "Line3", device: "Oven1")))
        #expect(SparkplugTopic.parse("spBv1.0/STATE/scada") == .hostState("scada"))
        for invalid in [
            "spBv1.0/Plant1/NDATA/Line3/Oven1", "spBv1.0/Plant1/DDATA/Line3", "spBv1.0/Plant1/XDATA/Line3", "spBv1.0/Plant1/NDATA/",
            "spBv1.0//NDATA/Line3", "spBv1.0/Plant1/DDATA/Line3/Oven1/extra", "spBv1.0/STATE/",
        ] {
            #expect(SparkplugTopic.parse(invalid) == .invalid, "\(invalid)")
        }
    }

    @Test("a topic's text reads back as the same topic")
    func roundTrip() {
        for type in SparkplugTopic.MessageType.allCases {
            let t = SparkplugTopic(group: "g", type: type, edgeNode: "n", device: type.isDeviceMessage ? "d" : nil)
            #expect(SparkplugTopic.parse(t.text) == .message(t))
        }
    }
}
