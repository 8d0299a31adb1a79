import Wire

/// One simulated sensor: a slow drift inside the valid band with noise and occasional
/// deviations, a sequence counter per boot, and a buffer of what it measured for resends.
struct SimulatedSensor {
    enum Fault: String { case none, skip, error, dup, reorder, corrupt, late }

    struct Measurement {
        var seq: UInt64
        var ts: Int64
        var temperature: Double
        var status: String
        var boot: Int
        var payload: String
    }

    let id: String
    /// Sends CSV lines (`seq,ts,value,status,boot`, the contract's column order) instead of JSON.
    let csv: Bool
    /// The payload member of the value (the measurement's name).
    let field: String
    /// The member names its firmware writes.
    let names: FirmwareFieldNames
    /// The measurement's valid range: values are drawn in the 50-55 band and mapped onto it
    /// (for the default 50-55 the mapping is exact, so temperature runs are as before).
    let range: ClosedRange<Double>
    var rng: SimulationRandom
    var boot = 1
    var seq: UInt64 = 0
    var level: Double
    var deviation = 0
    var buffer: [Measurement] = []
    let bufferSize: Int

    init(
        id: String, index: Int, seed: UInt64, bufferSize: Int, csv: Bool = false, field: String = Topics.defaultMeasurement,
        range: ClosedRange<Double> = 50...55, names: FirmwareFieldNames = FirmwareFieldNames(), firstBoot: Int = 1
    ) {
        self.id = id
        boot = firstBoot
        self.names = names
        self.csv = csv
        self.field = field
        self.range = range
        rng = SimulationRandom(seed: seed, stream: UInt64(index))
        level = 51 + rng.unit() * 3
        self.bufferSize = bufferSize
    }

    /// Measures the next reading (the truth) at event time `ts`.
    mutating func measure(ts: Int64) -> Measurement {
        level += rng.gaussian() * 0.02
        level = min(54.2, max(50.8, level))
        if deviation == 0 && rng.chance(0.003) { deviation = 5 + Int(rng.next() % 20) }
        var value = level + rng.gaussian() * 0.08
        var status = "normal"
        if deviation > 0 {
            deviation -= 1
            value += 0.6
            status = "deviated"
        }
        value = mapped((min(54.9, max(50.1, value)) * 100).rounded() / 100)
        let m = Measurement(
            seq: seq, ts: ts, temperature: value, status: status, boot: boot, payload: render(seq: seq, ts: ts, value: value, status: status))
        seq += 1
        if bufferSize > 0 {
            buffer.append(m)
            if buffer.count > bufferSize { buffer.removeFirst(buffer.count - bufferSize) }
        }
        return m
    }

    /// Reboots: a new boot counter, seq from 0, buffer lost.
    mutating func restart() {
        boot += 1
        seq = 0
        buffer.removeAll()
    }

    /// A glitched value well outside the valid band.
    mutating func glitch(_ m: Measurement) -> String {
        let bad: Double =
            switch rng.next() % 4 {
            case 0: mapped(-40)
            case 1: mapped(85.5)
            case 2: m.temperature + (7 + Double(rng.next() % 50) / 10) * scale
            default: m.temperature - (8 + Double(rng.next() % 50) / 10) * scale
            }
        return render(seq: m.seq, ts: m.ts, value: bad, status: m.status, boot: m.boot)
    }

    /// The measurement's units per degree of the 50-55 band.
    private var scale: Double { (range.upperBound - range.lowerBound) / 5 }

    /// A value of the 50-55 band in the measurement's range (two decimals; exact for 50-55).
    private func mapped(_ v: Double) -> Double {
        guard range != 50...55 else { return v }
        return ((range.lowerBound + (v - 50) * scale) * 100).rounded() / 100
    }

    /// A reading as this sensor sends it: JSON with every field, or a CSV line.
    private func render(seq: UInt64, ts: Int64, value: Double, status: String, boot: Int? = nil) -> String {
        let boot = boot ?? self.boot
        if csv { return "\(seq),\(ts),\(value),\(status),\(boot)" }
        let n = names
        return
            "{\"\(n.name("sensor_id"))\":\"\(id)\",\"\(n.name("seq"))\":\(seq),\"\(n.name("ts"))\":\(ts),\"\(n.name("value", own: field))\":\(value),\"\(n.name("status"))\":\"\(status)\",\"\(n.name("boot"))\":\(boot)}"
    }

    /// A broken transmission: truncated JSON or CSV, a wrong type (a quoted seq), or garbage bytes.
    mutating func corrupt(_ m: Measurement) -> [UInt8] {
        switch rng.next() % 3 {
        case 0: return Array(m.payload.utf8.prefix(m.payload.utf8.count / 2))
        case 1 where csv: return Array("\"\(m.seq)\",\(m.ts),\(m.temperature),\(m.status),\(m.boot)".utf8)
        case 1:
            let n = names
            return Array(
                "{\"\(n.name("sensor_id"))\":\"\(id)\",\"\(n.name("seq"))\":\"\(m.seq)\",\"\(n.name("ts"))\":\(m.ts),\"\(n.name("value", own: field))\":\(m.temperature),\"\(n.name("status"))\":\"\(m.status)\"}"
                    .utf8)
        default: return (0..<(8 + Int(rng.next() % 24))).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        }
    }

    /// The buffered readings a resend request asks for.
    func resend(_ request: ResendRequest) -> [Measurement] {
        buffer.filter { request.asks(for: $0.seq) }
    }
}
