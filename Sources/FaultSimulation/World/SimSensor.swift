import DeterministicRandom
import Wire

/// One reading as a sensor measured it: the truth the checker holds the output to.
public struct SimReading: Sendable, Hashable {
    /// The stream: the sensor (`s0`, `s1`, ...), or `<sensor>/<measurement>` for a measurement
    /// other than temperature (as the checker keys streams).
    public var sensorID: String
    /// The `boot` in its payload (nil for a sensor that sends none).
    public var boot: Int64?
    /// The seq, event time (epoch ms) and value it carries.
    public var seq: UInt64
    public var ts: Int64
    public var value: Double
    /// Whether the contract can tell its epoch apart: the sensor sends `boot`, or has not
    /// rebooted yet. Only such readings are held to "nothing acknowledged lost".
    public var traceable: Bool

    /// The payload member of the value: the measurement's name.
    var field: Substring { sensorID.split(separator: "/").dropFirst().first ?? "temperature" }

    var payload: [UInt8] {
        var s = "{\"seq\":\(seq),\"ts\":\(ts),\"\(field)\":\(value),\"status\":\"normal\""
        if let boot { s += ",\"boot\":\(boot)" }
        return Array((s + "}").utf8)
    }
}

/// A message on its way to the broker: a reading (fresh or resent) from a sensor.
struct SensorMessage {
    var topic: String
    var payload: [UInt8]
    var reading: SimReading
}

/// A simulated sensor (after `simulator/SimulatedSensor.swift`): a seq per boot, a reading per
/// period, a resend buffer, and its own faults: duplicates, reorders, out-of-range values, seq
/// jumps, reboots with or without `boot`, outages of its connection (it keeps measuring into its
/// buffer), and silences (switched off, so it can be evicted).
struct SimSensor {
    /// The stream's name, as the checker keys it (`SimReading.sensorID`).
    let id: String
    let topic: String
    let profile: SensorProfile
    var boot: Int64 = 1
    var seq: UInt64
    var nextAt: Int64
    var level: Double
    var buffer: [SimReading] = []
    var bufferStart = 0
    var rebooted = false
    /// Readings still to be measured while its connection is down.
    var outageLeft = 0
    var silentUntil: Int64 = .min
    var heldBack: SensorMessage?

    init(index: Int, profile: SensorProfile, start: Int64, rng: inout SplitMix64) {
        if let measurement = profile.measurement {
            // Another measurement of the sensor before it: a second stream under the same id.
            let sensor = "s\(max(0, index - 1))"
            id = "\(sensor)/\(measurement)"
            topic = "sensors/\(sensor)/\(measurement)"
        } else {
            id = "s\(index)"
            topic = "sensors/s\(index)/temperature"
        }
        self.profile = profile
        seq = profile.firstSeq
        nextAt = start + rng.int64(0...profile.periodMs)
        level = 51 + rng.nextUnit() * 3
    }

    /// Readings measured up to `now` and the messages they become; faults on when `faulty`.
    mutating func emit(now: Int64, faulty: Bool, rng: inout SplitMix64, events: inout [(FaultKind, String)]) -> [SensorMessage] {
        var out: [SensorMessage] = []
        while nextAt <= now {
            let at = nextAt
            nextAt += profile.periodMs
            if at < silentUntil { continue }
            if faulty && rng.chance(profile.silence) {
                silentUntil = at + rng.int64(profile.silenceMs)
                events.append((.sensorSilence, "\(id) switched off until \(silentUntil)"))
                continue
            }
            if faulty && rng.chance(profile.reboot) {
                rebooted = true
                if profile.sendsBoot { boot += 1 }
                seq = 0
                buffer.removeAll()
                bufferStart = 0
                events.append((.sensorReboot, "\(id) rebooted\(profile.sendsBoot ? " to boot \(boot)" : " (no boot field)")"))
            }
            if faulty && rng.chance(profile.jump) {
                let by = UInt64(rng.int(Int(profile.jumpSize.lowerBound)...Int(profile.jumpSize.upperBound)))
                seq += by
                events.append((.sensorSeqJump, "\(id) seq jumps by \(by) to \(seq)"))
            }
            let reading = measure(ts: at, rng: &rng, faulty: faulty)
            if faulty && outageLeft == 0 && rng.chance(profile.outage) {
                outageLeft = rng.int(profile.outageLength)
                events.append((.sensorOutage, "\(id) connection down for \(outageLeft) readings from seq \(reading.seq)"))
            }
            if outageLeft > 0 {
                outageLeft -= 1
                if !faulty { outageLeft = 0 }
                continue
            }
            let message = SensorMessage(topic: topic, payload: reading.payload, reading: reading)
            if let held = heldBack {
                out.append(message)
                out.append(held)
                heldBack = nil
            } else if faulty && rng.chance(profile.reorder) {
                heldBack = message
            } else {
                out.append(message)
            }
            if faulty && rng.chance(profile.duplicate) { out.append(message) }
        }
        if !faulty, let held = heldBack {
            out.append(held)
            heldBack = nil
        }
        return out
    }

    private mutating func measure(ts: Int64, rng: inout SplitMix64, faulty: Bool) -> SimReading {
        level = min(54.2, max(50.8, level + rng.nextGaussian() * 0.02))
        var value = (level * 100).rounded() / 100
        if faulty && rng.chance(profile.outOfRange) { value = rng.chance(0.5) ? 80.5 : 20.25 }
        let r = SimReading(
            sensorID: id, boot: profile.sendsBoot ? boot : nil, seq: seq, ts: ts, value: value,
            traceable: profile.sendsBoot || !rebooted)
        seq += 1
        if profile.bufferSize > 0 {
            buffer.append(r)
            if buffer.count - bufferStart > profile.bufferSize { bufferStart += 1 }
            if bufferStart > 4096 {
                buffer.removeFirst(bufferStart)
                bufferStart = 0
            }
        }
        return r
    }

    /// The buffered readings a resend request asks for (none while its connection is down).
    func answer(_ request: ResendRequest) -> [SensorMessage] {
        guard outageLeft == 0 else { return [] }
        return buffer[bufferStart...].filter { request.asks(for: $0.seq) }.map {
            SensorMessage(topic: topic, payload: $0.payload, reading: $0)
        }
    }
}
