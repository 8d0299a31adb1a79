import Testing
import Wire

@Suite("Readings filters that would take the gateway's own output")
struct TopicOverlapTests {
    @Test(
        "filters matching a topic the gateway publishes are caught",
        arguments: [
            "dlq/+/temperature", "cleaned/+/temperature", "sensors/+/resend", "aggregates/+/temperature/60s", "gateway/+/status",
            "gateway/gw/sensors/+", "replay/+", "+/x/temperature", "latest/+/temperature", "cleaned/+/humidity",
            "gateway/gw/sensors/+/humidity",
        ])
    func overlapping(filter: String) {
        #expect(Topics.gatewayOutputOverlapping(filter) != nil)
    }

    @Test("ordinary readings filters pass", arguments: ["sensors/+/temperature", "plant/line1/+/temperature", "sensors/+/humidity", "dlq2/+/temperature"])
    func ordinary(filter: String) {
        #expect(Topics.gatewayOutputOverlapping(filter) == nil)
    }
}
