import Testing
import TestSupport
@testable import Gateway

/// The registry behind `/metrics`: restored totals, overlapping scrapes and the swift-metrics
/// instruments, scripted without a broker.
@Suite("The gateway's Prometheus registry")
struct GatewayMetricsTests {
    /// The sample value of series `series` (name and labels as printed) in `text`.
    static func value(_ series: String, in text: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last!) }
    }

    @Test("totals restored from the engine's state show at once, grow with it, and never go back for an older status")
    func restoredTotals() throws {
        let metrics = GatewayMetrics()
        var status = GatewayStatusSnapshot()
        status.counters.received = 1_000_000
        status.counters.deadLettersByReason = ["bad_value:ts": 7]
        let first = metrics.render(status)
        #expect(Self.value("sensor_gateway_messages_received_total", in: first) == 1_000_000)
        #expect(Self.value("sensor_gateway_dead_letters_by_reason_total{reason=\"bad_value:ts\"}", in: first) == 7)
        // Reasons without a field are there from the start, at 0.
        #expect(Self.value("sensor_gateway_dead_letters_by_reason_total{reason=\"rate_limited\"}", in: first) == 0)

        let older = status
        status.counters.received = 1_000_250
        status.counters.deadLettersByReason["too_many_sensors"] = 3
        _ = metrics.render(status)
        // A scrape that read the status before the last one was fed does not lower a counter.
        let afterOlder = metrics.render(older)
        #expect(Self.value("sensor_gateway_messages_received_total", in: afterOlder) == 1_000_250)
        #expect(Self.value("sensor_gateway_dead_letters_by_reason_total{reason=\"too_many_sensors\"}", in: afterOlder) == 3)
        try Promtool.expectSuccess(["check", "metrics"], input: afterOlder)
    }

    @Test("gauges follow the status both ways, and the build info carries the version")
    func gauges() {
        let metrics = GatewayMetrics()
        var status = GatewayStatusSnapshot()
        status.connected = true
        status.outboundWaiting = 40
        #expect(Self.value("sensor_gateway_broker_connected", in: metrics.render(status)) == 1)
        status.connected = false
        status.outboundWaiting = 2
        let text = metrics.render(status)
        #expect(Self.value("sensor_gateway_broker_connected", in: text) == 0)
        #expect(Self.value("sensor_gateway_outbound_waiting", in: text) == 2)
        #expect(Self.value("sensor_gateway_build_info{version=\"\(GatewayVersion.current)\"}", in: text) == 1)
    }

    @Test(
        "the last reading's time is the run's start until a message arrives, so a box silent since a (re)start still shows silent (found black-box: the metric was missing and SensorGatewayNoInput never fired)"
    )
    func lastReadingBeforeAny() {
        let metrics = GatewayMetrics()
        var status = GatewayStatusSnapshot()
        status.startedAt = 1_795_660_000_000
        #expect(Self.value("sensor_gateway_last_reading_received_timestamp_seconds", in: metrics.render(status)) == 1_795_660_000)
        status.lastReceivedAt = 1_795_660_042_000
        #expect(Self.value("sensor_gateway_last_reading_received_timestamp_seconds", in: metrics.render(status)) == 1_795_660_042)
    }

    @Test(
        "input silence is counted on the monotonic clock, from the start until a message comes: a wall clock stepped back an hour does not make it an hour (found black-box, 73rd review: SensorGatewayNoInput paged while readings flowed)"
    )
    func inputSilenceIsMonotonic() {
        let metrics = GatewayMetrics()
        var status = GatewayStatusSnapshot()
        #expect(Self.value("sensor_gateway_input_silence_seconds", in: metrics.render(status, monotonicNow: 5_000)) == nil, "not before the first status")
        status.startedMonotonic = 1_000
        #expect(Self.value("sensor_gateway_input_silence_seconds", in: metrics.render(status, monotonicNow: 601_000)) == 600)
        status.lastReceivedAt = 1_795_660_042_000
        status.lastReceivedMonotonic = 590_000
        status.clockOffsetMs = -3_600_000  // the wall clock stepped back an hour since
        let text = metrics.render(status, now: 1_795_656_442_000 + 11_000, monotonicNow: 601_000)
        #expect(Self.value("sensor_gateway_input_silence_seconds", in: text) == 11)
        #expect(Self.value("sensor_gateway_last_reading_received_timestamp_seconds", in: text) == 1_795_656_442, "by the box's own clock")
    }

    @Test("durations recorded through swift-metrics timers land in the histograms' buckets")
    func timers() throws {
        let metrics = GatewayMetrics()
        metrics.publishLatency.recordMicroseconds(3_000)
        metrics.publishLatency.recordMilliseconds(70)
        metrics.turnDuration.recordMilliseconds(2)
        let text = metrics.render(GatewayStatusSnapshot())
        #expect(Self.value("sensor_gateway_publish_latency_seconds_count", in: text) == 2)
        #expect(Self.value("sensor_gateway_publish_latency_seconds_bucket{le=\"0.005\"}", in: text) == 1)
        #expect(Self.value("sensor_gateway_publish_latency_seconds_bucket{le=\"0.1\"}", in: text) == 2)
        #expect(Self.value("sensor_gateway_service_turn_duration_seconds_count", in: text) == 1)
        try Promtool.expectSuccess(["check", "metrics"], input: text)
    }
}
