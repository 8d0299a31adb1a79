import Foundation
import Testing
import TestSupport
@testable import Gateway

/// The Prometheus and Grafana files in deploy/ are valid and name only metrics the gateway
/// exports, as docs/OPERATIONS.md says.
@Suite("The shipped Prometheus rules, scrape configuration and Grafana dashboard")
struct PrometheusFilesTests {
    static let deploy = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("deploy")

    /// Every metric name `/metrics` can carry (the histogram's series included).
    static var exportedNames: Set<String> {
        var status = GatewayStatusSnapshot()
        status.journalOldestTime = 0
        status.lastReceivedAt = 0
        status.lastReceivedMonotonic = 0
        status.sparkplugOutput = .init()  // as with sparkplug-edge-node set
        _ = status.runtime.brokerDrops.observe(Array("0".utf8))  // as with a broker that publishes its count
        // With an HTTP endpoint, as `run` has (its bind state is what `sensor_gateway_http_bound` shows).
        let lines = GatewayMetrics().render(status, loopAgeMs: 0, http: HTTPBinding(), reloadRefused: false).split(separator: "\n")
        // Sample names, and the declared ones (a labelled metric may have no sample yet).
        let samples = lines.filter { !$0.hasPrefix("#") }.map { String($0.prefix { $0 != "{" && $0 != " " }) }
        let declared = lines.filter { $0.hasPrefix("# TYPE ") }.map { String($0.split(separator: " ")[2]) }
        return Set(samples + declared)
    }

    /// The gateway's metric names (`sensor_gateway_*`, `process_*`) that `text` mentions.
    static func namesUsed(in text: String) -> Set<String> {
        let regex = try! NSRegularExpression(pattern: "\\b(sensor_gateway_[a-z_]+|process_[a-z_]+)")
        let range = NSRange(text.startIndex..., in: text)
        return Set(regex.matches(in: text, range: range).map { String(text[Range($0.range, in: text)!]) })
    }

    @Test("promtool accepts the alert rules and the scrape configuration, and every metric they use is exported")
    func rulesAndScrapeConfiguration() throws {
        try Promtool.expectSuccess(["check", "rules", Self.deploy.appendingPathComponent("prometheus/sensor-gateway.rules.yml").path])
        try Promtool.expectSuccess(["check", "config", Self.deploy.appendingPathComponent("prometheus/scrape.yml").path])
        let rules = try String(contentsOf: Self.deploy.appendingPathComponent("prometheus/sensor-gateway.rules.yml"), encoding: .utf8)
        let unknown = Self.namesUsed(in: rules).subtracting(Self.exportedNames)
        #expect(unknown.isEmpty, "rules use metrics the gateway does not export: \(unknown.sorted())")
    }

    @Test("promtool's unit tests of the alert rules pass, and every alert has them, firing and quiet, and a severity")
    func ruleUnitTests() throws {
        let folder = Self.deploy.appendingPathComponent("prometheus")
        try Promtool.expectSuccess(["test", "rules", folder.appendingPathComponent("sensor-gateway.rules.test.yml").path])
        let rules = try String(contentsOf: folder.appendingPathComponent("sensor-gateway.rules.yml"), encoding: .utf8)
        let tests = try String(contentsOf: folder.appendingPathComponent("sensor-gateway.rules.test.yml"), encoding: .utf8)
        func values(of key: String, in text: String) -> [String] {
            text.split(separator: "\n").compactMap { line in
                let t = line.trimmingCharacters(in: .whitespaces)
                return t.hasPrefix("\(key): ") ? String(t.dropFirst(key.count + 2)) : nil
            }
        }
        let alerts = values(of: "- alert", in: rules)
        #expect(alerts.count >= 18)
        #expect(values(of: "severity", in: rules).count == alerts.count, "every alert has a severity label")
        #expect(Set(values(of: "severity", in: rules)).isSubset(of: ["critical", "warning"]))
        #expect(values(of: "description", in: rules).count == alerts.count, "every alert has a description")
        // Each alert is evaluated at least once expecting it to fire and once expecting quiet.
        var firing: Set<String> = []
        var quiet: Set<String> = []
        let lines = tests.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        for (i, line) in lines.enumerated() where line.hasPrefix("alertname: ") && i + 1 < lines.count {
            let name = String(line.dropFirst("alertname: ".count))
            if lines[i + 1] == "exp_alerts: []" { quiet.insert(name) } else { firing.insert(name) }
        }
        #expect(Set(alerts).subtracting(firing).isEmpty, "alerts never tested firing: \(Set(alerts).subtracting(firing).sorted())")
        #expect(Set(alerts).subtracting(quiet).isEmpty, "alerts never tested quiet: \(Set(alerts).subtracting(quiet).sorted())")
    }

    @Test("every query of the Grafana dashboard is valid PromQL and uses exported metrics only")
    func dashboard() throws {
        let data = try Data(contentsOf: Self.deploy.appendingPathComponent("grafana/sensor-gateway.json"))
        let dashboard = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let panels = try #require(dashboard["panels"] as? [[String: Any]])
        let expressions = panels.flatMap { ($0["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String } }
        #expect(expressions.count >= panels.count)
        // Dashboard variables replaced by what Grafana would put there, each query as a recording rule.
        let rules =
            "groups:\n  - name: dashboard\n    rules:\n"
            + expressions.enumerated().map { i, e in
                let expr = e.replacingOccurrences(of: "$instance", with: ".*").replacingOccurrences(of: "\"", with: "\\\"")
                return "      - record: dashboard:query_\(i)\n        expr: \"\(expr)\"\n"
            }.joined()
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try rules.write(toFile: dir.file("dashboard.rules.yml"), atomically: true, encoding: .utf8)
        try Promtool.expectSuccess(["check", "rules", dir.file("dashboard.rules.yml")])
        let unknown = Self.namesUsed(in: expressions.joined(separator: "\n")).subtracting(Self.exportedNames)
        #expect(unknown.isEmpty, "the dashboard uses metrics the gateway does not export: \(unknown.sorted())")
    }
}
