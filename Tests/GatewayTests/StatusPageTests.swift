import Foundation
import Recovery
import Testing
@testable import Gateway

@Suite("The status page at plant scale")
struct StatusPageTests {
    /// 2,000 sensors with a full plot each; every 100th misses readings, sensor-0777 is silent.
    static func fleet() -> GatewayStatusSnapshot {
        var engine = RecoveryEngine(configuration: EngineConfiguration())
        var out: [Publication] = []
        let start: Int64 = 1_795_660_000_000
        for round in 0..<62 {
            for s in 0..<2000 where !(s == 777 && round > 30) && !(s % 100 == 5 && round % 3 == 1) {
                let payload =
                    "{\"seq\":\(round),\"ts\":\(start + Int64(round) * 1000),\"temperature\":\(50 + Double((s + round) % 50) / 10),\"status\":\"normal\"}"
                engine.ingest(
                    topic: "sensors/sensor-\(String(format: "%04d", s))/temperature", payload: Array(payload.utf8),
                    receivedAt: start + Int64(round) * 1000, into: &out)
            }
            engine.tick(now: start + Int64(round) * 1000 + 999, into: &out)
            out.removeAll(keepingCapacity: true)
        }
        var s = GatewayStatusSnapshot()
        s.sensors = engine.summaries
        return s
    }

    @Test("2,000 sensors: a page of 100 under 200 KB, stale and troubled sensors first, filter and pages work")
    func bigFleet() throws {
        let status = Self.fleet()
        #expect(status.sensors.count == 2000)
        let page = StatusPage.render(status, gatewayID: "gw", validRange: 50...55)
        #expect(page.utf8.count < 200_000, "\(page.utf8.count) bytes")
        let rows = page.components(separatedBy: "<tr><td>").dropFirst().map { String($0.prefix { $0 != "<" }) }
        #expect(rows.count == 100)
        #expect(rows.first == "sensor-0777")  // the only stale one
        #expect(rows.dropFirst().prefix(20).allSatisfy { $0.hasSuffix("05") })  // the ones with synthetic readings
        #expect(page.contains("Showing 100 of 2000"))

        let filtered = StatusPage.render(status, gatewayID: "gw", validRange: 50...55, query: .init(queryString: "q=sensor-19&page=0"))
        let filteredRows = filtered.components(separatedBy: "<tr><td>").dropFirst().map { String($0.prefix { $0 != "<" }) }
        #expect(filteredRows.count == 100 && filteredRows.allSatisfy { $0.hasPrefix("sensor-19") })
        let last = StatusPage.render(status, gatewayID: "gw", validRange: 50...55, query: .init(queryString: "page=19"))
        #expect(last.contains("page 20 of 20"))
        let beyond = StatusPage.render(status, gatewayID: "gw", validRange: 50...55, query: .init(queryString: "page=999&q=%3Cb%3E"))
        #expect(beyond.contains("value=\"&lt;b&gt;\""))  // the filter is echoed escaped
    }

    @Test("the plot's x axis is event time: a long gap shows as space, not as evenly spaced dots")
    func plotAgainstTime() {
        let points = [0, 1, 2, 500, 501].map { SensorSummaryPointFactory.point(seq: $0) }
        let svg = StatusPage.plot(points, 50...55)
        // Readings 0-2 are crowded at the left edge; 500 and 501 at the right.
        let xs = svg.components(separatedBy: "M").dropFirst().compactMap { Int($0.prefix { $0 != " " }) }
        #expect(xs.sorted() == [2, 2, 3, 238, 238])
    }
}

/// Builds plot points (the summary type's memberwise init is internal to Recovery).
enum SensorSummaryPointFactory {
    static func point(seq: Int) -> SensorSummary.Point {
        let json = "{\"seq\":\(seq),\"ts\":\(1_795_660_000_000 + Int64(seq) * 1000),\"value\":52.5,\"quality\":\"ok\"}"
        return try! JSONDecoder().decode(SensorSummary.Point.self, from: Data(json.utf8))
    }
}
