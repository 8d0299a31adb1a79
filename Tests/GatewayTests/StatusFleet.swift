import Foundation
import Recovery
@testable import Gateway

/// A fleet run through the real engine for the status page's tests: one reading a second for
/// `rounds` seconds, with sensors in every attention class, and what the page must show of them.
///
/// - stale: ids ending `777` (of every thousand) fall silent 10 s before the end;
/// - waiting: ids ending `333` miss the second-to-last reading (their last one is held behind it);
/// - flagged: ids ending `05` (of every hundred) miss one reading early on (filled, synthetic),
///   ids ending `42` send one out-of-range reading (corrected);
/// - every other sensor is fine.
struct StatusFleet: Sendable {
    static let rounds = 40
    let status: GatewayStatusSnapshot
    /// The receive time of the last round plus a second: "now" for the page.
    let now: Int64
    let count: Int

    static func id(_ s: Int) -> String { "sensor-\(String(format: "%05d", s))" }
    static func isStale(_ s: Int) -> Bool { s % 1000 == 777 }
    static func isWaiting(_ s: Int) -> Bool { s % 1000 == 333 }
    static func isFlagged(_ s: Int) -> Bool { s % 100 == 5 || s % 100 == 42 }
    /// The temperature sensor `s` sends in `round` (inside the default valid range 50-55).
    static func temperature(_ s: Int, _ round: Int) -> Double { 50 + Double((s + round) % 50) / 10 }

    /// The fleet built on a thread of its own: 400,000 readings through a debug engine take
    /// minutes on a loaded machine, and built on the cooperative pool (two threads on CI) this
    /// and a second test waiting for it starved every other test's awaits (CI: four HTTP tests
    /// timed out at once).
    static func build(sensors: Int, endingAt end: Int64 = 1_795_660_000_000) async -> StatusFleet {
        await onOwnThread { StatusFleet(sensors: sensors, endingAt: end) }
    }

    /// The fleet's last round ends `endingAt` (epoch ms; the browser test uses the wall clock).
    private init(sensors: Int, endingAt end: Int64) {
        // The page reads summaries only: without `latest/` copies the engine does half the output work.
        var configuration = EngineConfiguration()
        configuration.withoutLatest = true
        var engine = RecoveryEngine(configuration: configuration)
        var out: [Publication] = []
        let start = end - Int64(Self.rounds) * 1000
        for round in 0..<Self.rounds {
            let t = start + Int64(round) * 1000
            for s in 0..<sensors {
                if Self.isStale(s) && round >= Self.rounds - 10 { continue }
                if Self.isWaiting(s) && round == Self.rounds - 2 { continue }
                if s % 100 == 5 && round == 10 { continue }
                let value = s % 100 == 42 && round == 20 ? 80 : Self.temperature(s, round)
                let payload = "{\"seq\":\(round),\"ts\":\(t),\"temperature\":\(value),\"status\":\"normal\"}"
                engine.ingest(topic: "sensors/\(Self.id(s))/temperature", payload: Array(payload.utf8), receivedAt: t, into: &out)
            }
            // As the service loop does: tick again while sensors are still due (a tick serves at
            // most `tickPublicationBudget` publications' worth of them).
            repeat {
                engine.tick(now: t + 999, into: &out)
                out.removeAll(keepingCapacity: true)
            } while (engine.nextDeadline() ?? .max) <= t + 999
        }
        var status = GatewayStatusSnapshot()
        status.restoring = false
        status.connected = true
        status.sensors = engine.summaries
        status.counters = engine.counters
        self.status = status
        self.now = end
        self.count = sensors
        let all = Array(0..<sensors)
        expectedOrder =
            (all.filter(Self.isStale) + all.filter(Self.isWaiting) + all.filter(Self.isFlagged)
            + all.filter { !Self.isStale($0) && !Self.isWaiting($0) && !Self.isFlagged($0) }).map(Self.id)
    }

    /// The sensor ids in the order the page must list them.
    let expectedOrder: [String]

    /// The rows of a rendered page: each row's sensor id and its cells' text (tags removed).
    static func rows(_ page: String) -> [(id: String, cells: [String])] {
        page.components(separatedBy: "<tr class=").dropFirst().map { row in
            let cells = row.components(separatedBy: "<td").dropFirst().map { cell -> String in
                let inner = cell.drop { $0 != ">" }.dropFirst()
                var text = "", inTag = false
                for c in inner.prefix(while: { $0 != "\n" }) {
                    if c == "<" { inTag = true } else if c == ">" { inTag = false } else if !inTag { text.append(c) }
                }
                return text
            }
            return (cells.first ?? "", cells)
        }
    }
}
