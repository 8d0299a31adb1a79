import Recovery

/// libFuzzer entry point: the bytes script a few sensors' readings and clock ticks. The engine
/// must never trap, and what the messages cost in output is bounded (the hostile-sender promise):
/// synthetic readings by each sensor's allowance, `latest/` copies by the readings published,
/// everything else by a few per message or tick.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEngine(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    var c = EngineConfiguration()
    c.maxFill = 20
    c.reorderWindowMs = 500
    c.aggregateWindowMs = 1000
    c.lateHorizonMs = 20_000
    c.sensorRetentionMs = 30_000
    c.maxSensors = 3
    c.futureToleranceMs = 86_400_000
    var engine = RecoveryEngine(configuration: c)
    var now: Int64 = 1_795_660_000_000
    var seqs: [UInt64] = [0, 0, 0, 0]
    var out: [Publication] = []
    var (messages, ticks) = (0, 0)
    var tally = Tally()
    let start = now
    var i = 0
    func byte() -> UInt8 {
        defer { i += 1 }
        return i < count ? data[i] : 0
    }
    while i < count {
        let op = byte()
        out.removeAll(keepingCapacity: true)
        if op & 0x80 != 0 {
            now += Int64(op & 0x7F) * 97
            engine.tick(now: now, into: &out)
            ticks += 1
            tally.count(out)
            continue
        }
        let sensor = Int(op & 0x03)
        let jump = byte()
        seqs[sensor] = jump & 0x80 != 0 ? UInt64(jump & 0x7F) : seqs[sensor] &+ UInt64(jump & 0x0F)
        let shape = byte()
        let temperature = shape & 0x01 != 0 ? 80.0 : 50 + Double(shape >> 4) / 4
        let ts: Int64 = shape & 0x02 != 0 ? Int64(byte()) * 1_000_000 : 1_795_660_000_000 + Int64(seqs[sensor]) * 1000
        let boot = shape & 0x04 != 0 ? ",\"boot\":\(byte() & 0x07)" : ""
        let payload =
            shape & 0x08 != 0
            ? "{\"seq\":\(seqs[sensor]),\"ts\":\(ts)"  // truncated
            : "{\"seq\":\(seqs[sensor]),\"ts\":\(ts),\"temperature\":\(temperature),\"status\":\"normal\"\(boot)}"
        now += Int64(op >> 2 & 0x0F)
        engine.ingest(topic: "sensors/s\(sensor)/temperature", payload: Array(payload.utf8), receivedAt: now, into: &out)
        messages += 1
        tally.count(out)
    }
    // Each sensor life (4 ids; a forgotten sensor may come back with a fresh allowance) may fill
    // its burst plus max-fill per minute. An aggregate window is published when it closes, when a
    // restatement revises it, or when it is forgotten while open: at most twice per reading
    // published, plus one per message. Everything else: a message's own publication or dead
    // letter, a resend request, a gap notice, a state notice; a tick's stale notices, requests
    // and expiries for at most 4 sensors.
    let lives = 4 + engine.counters.expired
    let minutes = Int((now - start) / 60_000) + 1
    precondition(tally.synthetic <= lives * (2 * Int(c.maxFill)) + 4 * Int(c.maxFill) * minutes, "\(tally.synthetic) synthetic readings")
    precondition(tally.aggregates <= 2 * (tally.synthetic + tally.otherReadings) + messages, "\(tally.aggregates) aggregates")
    // `latest/` is a copy of a cleaned reading, at most one per reading published.
    precondition(tally.latest <= tally.synthetic + tally.otherReadings, "\(tally.latest) latest/ values")
    precondition(
        tally.otherReadings + tally.other <= 8 * messages + 12 * ticks,
        "\(tally.otherReadings + tally.other) publications for \(messages) messages and \(ticks) ticks")
    return 0
}

/// Publications by what bounds them.
private struct Tally {
    var synthetic = 0, otherReadings = 0, aggregates = 0, latest = 0, other = 0
    private let marker = Array("\"quality\":\"synthetic\"".utf8)

    mutating func count(_ out: [Publication]) {
        for p in out {
            switch p.kind {
            case .cleaned:
                let isSynthetic =
                    p.payload.count > marker.count
                    && p.payload.indices.dropLast(marker.count - 1)
                        .contains { p.payload[$0..<$0 + marker.count].elementsEqual(marker) }
                if isSynthetic { synthetic += 1 } else { otherReadings += 1 }
            case .aggregate: aggregates += 1
            case .latest: latest += 1
            default: other += 1
            }
        }
    }
}
