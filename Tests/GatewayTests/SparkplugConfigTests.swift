import Foundation
import Recovery
import TestSupport
import Testing

@testable import Gateway

/// The Sparkplug settings (docs/SPARKPLUG.md, "Turning it on"): what is taken, what is refused.
@Suite("Sparkplug settings")
struct SparkplugConfigTests {
    @Test("SPARKPLUG.md's example is a configuration the gateway takes as it says")
    func documentedExample() throws {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/SPARKPLUG.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        let heading = try #require(text.range(of: "## Turning it on"))
        let start = try #require(text.range(of: "```\n", range: heading.upperBound..<text.endIndex))
        let end = try #require(text.range(of: "```", range: start.upperBound..<text.endIndex))
        let c = try ConfigFileTests.load(String(text[start.upperBound..<end.lowerBound]))
        #expect(c.engine.sparkplugFilter == "spBv1.0/#")
        #expect(c.engine.sparkplugMetrics == ["Temperature": "temperature", "Dryer/RH": "humidity"])
        #expect(c.engine.sparkplugRebirth == true)
        #expect(c.engine.readingFilters.last == "spBv1.0/#", "subscribed")
    }

    @Test(
        "filters taking every message type of their groups or nodes are taken",
        arguments: ["spBv1.0/#", "spBv1.0/Plant1/#", "spBv1.0/+/#", "spBv1.0/G/+/N1/#", "spBv1.0/+/+/N1/#"])
    func takenFilters(filter: String) throws {
        let c = try ConfigFileTests.load("sparkplug-topic-filter: \"\(filter)\"\n")
        #expect(c.engine.sparkplugFilter == filter)
    }

    @Test(
        "what config check refuses, naming the setting",
        arguments: [
            ("sparkplug-topic-filter: \"sensors/#\"", "sparkplug-topic-filter", "under spBv1.0/"),
            ("sparkplug-topic-filter: \"spBv1.0/a#\"", "sparkplug-topic-filter", "under spBv1.0/"),
            ("sparkplug-topic-filter: \"spBv1.0/+/NDATA/#\"", "sparkplug-topic-filter", "every message type"),
            ("sparkplug-topic-filter: spBv1.0/Plant1", "sparkplug-topic-filter", "every message type"),
            ("sparkplug-topic-filter: \"spBv1.0/STATE/#\"", "sparkplug-topic-filter", "not edge nodes"),
            ("sparkplug-topic-filter: \"spBv1.0/G G/#\"", "sparkplug-topic-filter", "must be ids"),
            ("sparkplug-topic-filter: \"spBv1.0//#\"", "sparkplug-topic-filter", "must be ids"),
            ("sparkplug-topic-filter: \"spBv1.0/+/+/+/+\"", "sparkplug-topic-filter", "every message type"),
            ("sparkplug-topic-filter: \"spBv1.0/+/+/+\"", "sparkplug-topic-filter", "every message type"),
            ("sparkplug-topic-filter: \"spBv1.0/G/+/N1\"", "sparkplug-topic-filter", "every message type"),
            ("sparkplug-topic-filter: \"spBv1.0/Plant1/+/+\"", "sparkplug-topic-filter", "every message type"),
            ("sparkplug-metrics: Temperature", "sparkplug-metrics", "expected metric=measurement"),
            ("sparkplug-metrics: A=temperature, A=temperature", "sparkplug-metrics", "named twice"),
            ("sparkplug-metrics: A=temperature, B=temperature", "sparkplug-metrics", "one metric per measurement"),
            ("sparkplug-metrics: RH=humidity", "sparkplug-metrics", "not a declared measurement"),
            ("sparkplug-rebirth: yes", "sparkplug-rebirth", "expected on or off"),
            ("sparkplug-edge-node: Cleaned", "sparkplug-edge-node", "expected <group>/<edge node>"),
            ("sparkplug-edge-node: Cleaned/gw/x", "sparkplug-edge-node", "expected <group>/<edge node>"),
            ("sparkplug-edge-node: Clea+ned/gw", "sparkplug-edge-node", "expected <group>/<edge node>"),
            ("sparkplug-edge-node: \"Clea ned/gw\"", "sparkplug-edge-node", "expected <group>/<edge node>"),
            ("sparkplug-edge-node: STATE/gw", "sparkplug-edge-node", "expected <group>/<edge node>"),
            ("sparkplug-host-id: \"sc ada\"", "sparkplug-host-id", "must not"),
            ("sparkplug-primary-host: \"a/b\"", "sparkplug-primary-host", "must not"),
            ("sparkplug-edge-node: Cleaned/\(String(repeating: "x", count: 129))", "sparkplug-edge-node", "at most 128 bytes"),
            ("sparkplug-host-id: \"a/b\"", "sparkplug-host-id", "must not"),
            ("sparkplug-topic-filter: \"spBv1.0/#\"\nsparkplug-edge-node: Cleaned/gw", "sparkplug-edge-node", "read its own output back"),
            ("sparkplug-topic-filter: \"spBv1.0/+/#\"\nsparkplug-edge-node: Cleaned/gw", "sparkplug-edge-node", "read its own output back"),
            ("sparkplug-topic-filter: \"spBv1.0/Cleaned/+/gw/#\"\nsparkplug-edge-node: Cleaned/gw", "sparkplug-edge-node", "read its own output back"),
            ("cleaned-topics: off", "cleaned-topics", "nothing would publish the cleaned stream"),
        ])
    func refused(line: String, setting: String, problem: String) throws {
        do {
            _ = try ConfigFileTests.load(line + "\n")
            Issue.record("\(line) was taken")
        } catch let error as ConfigurationError {
            #expect(error.setting == setting)
            #expect(error.problem.contains(problem), "\(error.problem)")
        }
    }

    @Test("filters that take every message type are taken; settings without the filter are a warning")
    func takenAndWarned() throws {
        for filter in ["spBv1.0/#", "spBv1.0/Plant1/#", "spBv1.0/+/#", "spBv1.0/Plant1/+/Line3/#"] {
            #expect(try ConfigFileTests.load("sparkplug-topic-filter: \"\(filter)\"\n").engine.sparkplugFilter == filter)
        }
        let c = try ConfigFileTests.load("sparkplug-metrics: T=temperature\n")
        #expect(ConfigurationWarnings.of(c).contains { $0.contains("sparkplug-topic-filter is not") })
        let primary = try ConfigFileTests.load("sparkplug-primary-host: scada\n")
        #expect(primary.sparkplugPrimaryHost == "scada")
        #expect(ConfigurationWarnings.of(primary).contains { $0.contains("sparkplug-primary-host scada is set but sparkplug-edge-node is not") })
        let host = try ConfigFileTests.load("sparkplug-host-id: scada\n")
        #expect(host.sparkplugHostID == "scada")
        #expect(ConfigurationWarnings.of(host).contains { $0.contains("sparkplug-host-id scada is set but sparkplug-topic-filter is not") })
        let both = try ConfigFileTests.load("sparkplug-topic-filter: \"spBv1.0/Plant1/#\"\nsparkplug-edge-node: Cleaned/gw-1\n")
        #expect(both.sparkplugEdgeNode == SparkplugEdgeNodeID("Cleaned/gw-1") && both.sparkplugEdgeNode?.topic(.nodeBirth) == "spBv1.0/Cleaned/NBIRTH/gw-1")
        #expect(ConfigurationWarnings.of(both).isEmpty)
    }

    @Test("the edge node and the host id are applied on a reload by reconnecting")
    func reloadReconnects() throws {
        let live = LiveSettings(try ConfigFileTests.load("sparkplug-topic-filter: \"spBv1.0/Plant1/#\"\n"))
        let after = try ConfigFileTests.load(
            "sparkplug-topic-filter: \"spBv1.0/Plant1/#\"\nsparkplug-edge-node: Cleaned/gw\nsparkplug-host-id: scada\nsparkplug-primary-host: ign\n")
        let outcome = SettingsReload.apply(after, live: live, logLevel: LiveLogLevel(.info), logger: CapturedLog().logger())
        #expect(Set(outcome.reconnected) == ["sparkplug-edge-node", "sparkplug-host-id", "sparkplug-primary-host"], "\(outcome)")
        #expect(outcome.restartOnly.isEmpty)
        let next = try #require(live.takeConnectionChange())
        #expect(next.sparkplugEdgeNode?.description == "Cleaned/gw" && next.sparkplugHostID == "scada")
    }

    @Test("with cleaned-topics off running, a reload that drops the edge node keeps it (nothing else would publish the cleaned stream)")
    func edgeNodeStaysWhileCleanedTopicsOff() throws {
        let live = LiveSettings(try ConfigFileTests.load("sparkplug-edge-node: Cleaned/gw\ncleaned-topics: off\n"))
        let log = CapturedLog()
        let outcome = SettingsReload.apply(try ConfigFileTests.load("log-level: info\n"), live: live, logLevel: LiveLogLevel(.info), logger: log.logger())
        #expect(outcome.refused == ["sparkplug-edge-node"] && outcome.reconnected.isEmpty && outcome.restartOnly == ["cleaned-topics"])
        #expect(live.current.sparkplugEdgeNode?.description == "Cleaned/gw" && live.takeConnectionChange() == nil)
        #expect(log.lines.contains { $0.level == .error && $0.message.contains("sparkplug-edge-node stays Cleaned/gw") })
    }

    @Test("a reload applies the mapping and rebirth at once; the filter takes a restart")
    func reload() throws {
        let before = try ConfigFileTests.load("sparkplug-topic-filter: \"spBv1.0/#\"\n")
        let live = LiveSettings(before)
        let after = try ConfigFileTests.load("sparkplug-topic-filter: \"spBv1.0/Plant1/#\"\nsparkplug-metrics: T=temperature\nsparkplug-rebirth: on\n")
        let outcome = SettingsReload.apply(after, live: live, logLevel: LiveLogLevel(.info), logger: CapturedLog().logger())
        #expect(Set(outcome.applied) == ["sparkplug-metrics", "sparkplug-rebirth"])
        #expect(outcome.restartOnly == ["sparkplug-topic-filter"])
        #expect(live.current.engine.sparkplugFilter == "spBv1.0/#")
        #expect(live.current.engine.sparkplugMetrics == ["T": "temperature"])
        #expect(live.current.engine.sparkplugRebirth == true)
    }
}
