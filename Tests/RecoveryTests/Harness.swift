import Foundation
@testable import Recovery

/// Drives an engine with scripted messages and a fake clock, and decodes what it publishes.
struct Harness {
    var engine: RecoveryEngine
    var now: Int64 = 1_000_000
    var log: [Publication] = []

    init(_ configure: (inout EngineConfiguration) -> Void = { _ in }) {
        var c = EngineConfiguration()
        c.gatewayID = "gw"
        configure(&c)
        engine = RecoveryEngine(configuration: c)
    }

    /// Sends a reading from `sensor` and returns what that produced.
    @discardableResult
    mutating func send(
        _ sensor: String = "s1", seq: Int, temp: Double = 52, ts: Int64? = nil, boot: Int? = nil,
        status: String = "normal", at time: Int64? = nil
    ) -> [Publication] {
        var fields = "\"seq\":\(seq),\"ts\":\(ts ?? (1_795_660_000_000 + Int64(seq) * 1000)),\"temperature\":\(temp),\"status\":\"\(status)\""
        if let boot { fields += ",\"boot\":\(boot)" }
        return raw("sensors/\(sensor)/temperature", "{\(fields)}", at: time)
    }

    @discardableResult
    mutating func raw(_ topic: String, _ payload: String, at time: Int64? = nil) -> [Publication] {
        rawBytes(topic, Array(payload.utf8), at: time)
    }

    @discardableResult
    mutating func rawBytes(_ topic: String, _ payload: [UInt8], at time: Int64? = nil) -> [Publication] {
        if let time { now = time }
        var out: [Publication] = []
        engine.ingest(topic: topic, payload: payload, receivedAt: now, into: &out)
        log += out
        return out
    }

    /// Advances the clock by `ms` and ticks.
    @discardableResult
    mutating func advance(_ ms: Int64) -> [Publication] {
        now += ms
        var out: [Publication] = []
        engine.tick(now: now, into: &out)
        log += out
        return out
    }

    /// Replaces the engine with one rebuilt from its snapshot (header and sensors, through JSON),
    /// as a restart that finds the snapshot does before replaying the journal.
    mutating func restoreFromSnapshot() throws {
        let header = try JSONDecoder().decode(RecoveryEngine.SnapshotHeader.self, from: JSONEncoder().encode(engine.snapshotHeader))
        let sensors = try (0..<engine.sensorCount).map {
            try JSONDecoder().decode(RecoveryEngine.SensorSnapshot.self, from: JSONEncoder().encode(engine.sensorSnapshot(at: $0)))
        }
        engine = RecoveryEngine(header: header, sensors: sensors)
    }

    /// A tick now that says the gateway's input connection went down (`false`) or came back.
    @discardableResult
    mutating func hear(_ listening: Bool) -> [Publication] {
        var out: [Publication] = []
        engine.tick(now: now, listening: listening, into: &out)
        log += out
        return out
    }

    /// Advances the clock by `ms` as a running gateway's loop does: a tick at each deadline the
    /// engine names on the way, then one at the end. (One `advance` over a long span is a gateway
    /// that was not running meanwhile.)
    @discardableResult
    mutating func run(for ms: Int64) -> [Publication] {
        let end = now + ms
        var out: [Publication] = []
        var ticks = 0
        while let due = engine.nextDeadline(), due < end {
            ticks += 1
            precondition(ticks < 1_000_000, "the engine's deadline does not move on from \(due)")
            out += advance(Swift.max(due - now, 0))
        }
        out += advance(end - now)
        return out
    }
}

extension Publication {
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(payload))) as? [String: Any] ?? [:]
    }
    var quality: String? { json["quality"] as? String }
    var seq: Int? { (json["seq"] as? NSNumber)?.intValue }
    var temperature: Double? { (json["temperature"] as? NSNumber)?.doubleValue }
    /// The number under `field` (another measurement's value is under its name).
    func value(_ field: String) -> Double? { (json[field] as? NSNumber)?.doubleValue }
    var reason: String? { json["reason"] as? String }
}

extension Array where Element == Publication {
    func of(_ kind: Publication.Kind) -> [Publication] { filter { $0.kind == kind } }
    var cleaned: [Publication] { of(.cleaned) }
    /// "seq:quality" of each cleaned message, the shape most assertions compare.
    var summary: [String] { cleaned.map { "\($0.seq ?? -1):\($0.quality ?? "?")" } }
}
