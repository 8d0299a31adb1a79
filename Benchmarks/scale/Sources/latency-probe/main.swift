// Publishes readings at a fixed rate and measures, for each one, the time until it comes back
// on the output side (the gateway's `cleaned/` topics, or the relay's `relay/` copies), in an
// HdrHistogram. Used by Benchmarks/plant-scale.sh; prints one line of `key=value` figures.
// Latency is from just before the publish call to the message's arrival on the subscriber's
// network thread; readings of the first `warmUpSeconds` are counted for completeness, not timed.
//
//   latency-probe BROKER_PORT SENSORS RATE_PER_S COUNT_PER_SENSOR cleaned|relay
import Foundation
import Histogram
import MQTT
import Synchronization

let args = CommandLine.arguments
guard args.count == 6, let port = Int32(args[1]), let sensors = Int(args[2]), let rate = Double(args[3]),
      let perSensor = Int(args[4]), ["cleaned", "relay"].contains(args[5]) else {
    FileHandle.standardError.write(Data("usage: latency-probe BROKER_PORT SENSORS RATE_PER_S COUNT_PER_SENSOR cleaned|relay\n".utf8))
    exit(64)
}
let output = args[5]
let total = sensors * perSensor
let prefix = "lat-"
/// Readings sent in the first seconds are not timed: longer than the gateway's default reorder
/// window (2 s), during which a new sensor's first readings are held on purpose.
let warmUpSeconds = 3.0

func monotonicNanoseconds() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

/// Send times by `sensor * perSensor + seq`, and what has come back.
final class Measurements: Sendable {
    struct State {
        var sentAt: [UInt64]
        var received: [Bool]
        var distinct = 0
        var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    }
    let state: Mutex<State>
    init(total: Int) { state = Mutex(State(sentAt: Array(repeating: 0, count: total), received: Array(repeating: false, count: total))) }
}

/// Takes output messages on the network thread, stamping them as they arrive.
final class Receiver: MQTTMessageSink {
    let measurements: Measurements
    let perSensor: Int
    let output: String
    let prefix: String
    /// Readings per sensor left out of the histogram (see `accept`).
    let warmUp: Int
    init(_ measurements: Measurements, perSensor: Int, output: String, prefix: String, warmUp: Int) {
        self.warmUp = warmUp
        self.measurements = measurements
        self.perSensor = perSensor
        self.output = output
        self.prefix = prefix
    }

    func accept(topic: String, payload: UnsafeRawBufferPointer) -> Bool {
        let now = monotonicNanoseconds()
        guard let sensor = sensorIndex(topic), let seq = field("\"seq\":", in: payload), seq < perSensor,
              output == "relay" || contains("\"quality\":\"ok\"", in: payload) else { return true }
        let key = sensor * perSensor + seq
        measurements.state.withLock { s in
            guard !s.received[key], s.sentAt[key] != 0 else { return }
            s.received[key] = true
            s.distinct += 1
            // A new sensor's first readings wait for the gateway to learn where it starts (the
            // reorder window): they are held on purpose, so only later ones are timed.
            if seq >= warmUp { s.histogram.record(max(1, (now - s.sentAt[key]) / 1000)) }
        }
        return true
    }
    func endOfBurst() {}
    var acceptsMore: Bool { true }

    private func sensorIndex(_ topic: String) -> Int? {
        guard let start = topic.range(of: prefix)?.upperBound, let end = topic[start...].firstIndex(of: "/") else { return nil }
        return Int(topic[start..<end])
    }
    private func field(_ name: String, in payload: UnsafeRawBufferPointer) -> Int? {
        let bytes = Array(payload)
        let key = Array(name.utf8)
        guard let at = bytes.indices.first(where: { bytes[$0...].starts(with: key) }) else { return nil }
        var value = 0, i = at + key.count
        while i < bytes.count, (48...57).contains(bytes[i]) { value = value * 10 + Int(bytes[i] - 48); i += 1 }
        return value
    }
    private func contains(_ text: String, in payload: UnsafeRawBufferPointer) -> Bool {
        let key = Array(text.utf8)
        let bytes = Array(payload)
        return bytes.indices.contains { bytes[$0...].starts(with: key) }
    }
}

let measurements = Measurements(total: total)
let subscriber = try MQTTClient(MQTTConfiguration(host: "127.0.0.1", port: port, clientID: "latency-probe-sub"), sink: Receiver(measurements, perSensor: perSensor, output: output, prefix: prefix,
                                                      warmUp: Int((warmUpSeconds * rate / Double(sensors)).rounded(.up))))
try await subscriber.connect()
let filter = output == "cleaned" ? "cleaned/+/temperature" : "relay/#"
let subscription = try subscriber.subscribe(filter)
waiting: while true {
    for event in await subscriber.nextEvents() {
        if case .subscribed(subscription) = event { break waiting }
    }
}

var publisherConfiguration = MQTTConfiguration(host: "127.0.0.1", port: port, clientID: "latency-probe-pub")
publisherConfiguration.cleanSession = true
// Bounded like the relay's: libmosquitto 2.0 walks its whole in-flight list per acknowledgement.
publisherConfiguration.maxInflightMessages = 1000
let publisher = try MQTTClient(publisherConfiguration)
try await publisher.connect()
let drainAcks = Task { while !(await publisher.nextEvents()).isEmpty {} }

let interval = 1e9 / rate
let start = monotonicNanoseconds()
let eventTimeStart = Int64(Date().timeIntervalSince1970 * 1000)
for n in 0..<total {
    let seq = n / sensors, sensor = n % sensors
    let due = start + UInt64(Double(n) * interval)
    let now = monotonicNanoseconds()
    if due > now { usleep(UInt32((due - now) / 1000)) }
    let ts = eventTimeStart + Int64(seq) * 1000
    let payload = Array("{\"seq\":\(seq),\"ts\":\(ts),\"temperature\":52.5,\"status\":\"normal\"}".utf8)
    measurements.state.withLock { $0.sentAt[sensor * perSensor + seq] = monotonicNanoseconds() }
    try publisher.publish(topic: "sensors/\(prefix)\(sensor)/temperature", payload: payload)
}
let sendSeconds = Double(monotonicNanoseconds() - start) / 1e9

// Wait for the output side: until everything came back, or 10 s pass with nothing new.
var lastCount = -1
var quietSince = monotonicNanoseconds()
while true {
    let count = measurements.state.withLock { $0.distinct }
    if count == total { break }
    if count != lastCount { lastCount = count; quietSince = monotonicNanoseconds() }
    if monotonicNanoseconds() - quietSince > 10_000_000_000 { break }
    try await Task.sleep(for: .milliseconds(20))
}
await publisher.disconnect()
await subscriber.disconnect()
drainAcks.cancel()

let figures = measurements.state.withLock { s in
    (s.distinct, s.histogram.valueAtPercentile(50), s.histogram.valueAtPercentile(99), s.histogram.valueAtPercentile(99.9), s.histogram.max)
}
print(String(format: "output=%@ sent=%d received=%d send_rate=%.0f p50_ms=%.2f p99_ms=%.2f p999_ms=%.2f max_ms=%.2f",
             output, total, figures.0, Double(total) / sendSeconds, Double(figures.1) / 1000, Double(figures.2) / 1000,
             Double(figures.3) / 1000, Double(figures.4) / 1000))
