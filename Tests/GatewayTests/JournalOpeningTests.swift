import Foundation
import Journal
import Recovery
import Testing
import TestSupport
@testable import Gateway

/// What a resize at start keeps (found by a black-box test: a shrink after a crash kept only what
/// followed the acknowledged checkpoint, dropping acknowledged input no snapshot covered yet).
@Suite("What a journal resize keeps")
struct JournalOpeningTests {
    @Test("a shrink keeps the input the snapshot does not cover, and everything without a snapshot; no resize keeps the checkpoint rule")
    func keepFrom() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let big = try JournalLayout(directory: dir.file("journal"), maxBytes: 64 << 20)
        do {
            let journal = try Journal(layout: big, fsync: .never)
            for seq in 1...100 { try journal.append(type: 1, time: Int64(seq), payload: [UInt8](repeating: 7, count: 50)) }
            try journal.sync()
            try journal.checkpoint.store(90)
        }
        let small = try JournalLayout(directory: dir.file("journal"), maxBytes: 1 << 20)
        var snapshot = EngineSnapshot(inputFrom: 40, publicationsThrough: 89, engine: RecoveryEngine(configuration: EngineConfiguration()), pending: [])
        #expect(JournalOpening.keepFrom(small, snapshot: { snapshot }) == 40)
        snapshot = EngineSnapshot(inputFrom: 95, publicationsThrough: 99, engine: RecoveryEngine(configuration: EngineConfiguration()), pending: [])
        #expect(JournalOpening.keepFrom(small, snapshot: { snapshot }) == 91)
        #expect(JournalOpening.keepFrom(small, snapshot: { nil }) == 1)
        // The same size: no resize, so the snapshot is not even asked for.
        #expect(
            JournalOpening.keepFrom(
                big,
                snapshot: {
                    Issue.record("asked for the snapshot"); return nil
                }) == 91)
    }

    /// Opens the journal of `configuration` as the running gateway does and returns what it logged.
    static func openingLog(_ configuration: GatewayConfiguration) throws -> [CapturedLog.Line] {
        let log = CapturedLog()
        // Closed again at once: dropped, it lets go of the journal's lock.
        _ = try JournalOpening.open(
            configuration, limits: .init(), clocks: .system, fileSystem: nil, logger: log.logger(), onInput: { _ in }, onDurable: {})
        return log.lines
    }

    @Test("a journal whose journal.meta alone is gone opens with its records and says so once, not that a new journal was started")
    func metaMissing() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let configuration = try ConfigurationLoader.load(
            configFile: nil, environment: [:], flags: ["broker": "mqtt://127.0.0.1:1", "data-dir": dir.file("data"), "http": "off"],
            defaultGatewayID: "gw")
        // No journal at all: a new one, said once.
        let fresh = try Self.openingLog(configuration)
        #expect(
            fresh.map(\.message).filter { $0.hasPrefix("journal opened") || $0.hasPrefix("no journal was found") } == [
                "no journal was found: started a new, empty one"
            ])
        do {
            let journal = try Journal(layout: JournalLayout(directory: configuration.journalDirectory, maxBytes: configuration.journalMaxBytes), fsync: .never)
            for seq in 1...10 { try journal.append(type: 1, time: Int64(seq), payload: [UInt8](repeating: 7, count: 50)) }
            try journal.sync()
        }
        try FileManager.default.removeItem(atPath: configuration.journalDirectory + "/journal.meta")
        let reopened = try Self.openingLog(configuration)
        #expect(reopened.map(\.message).filter { $0.hasPrefix("journal opened") || $0.hasPrefix("no journal was found") } == ["journal opened"])
        #expect(reopened.first { $0.message == "journal opened" }?.metadata["records"] == "10")
        #expect(
            reopened.contains { $0.message == "journal file problem" && "\($0.metadata["problem"] ?? "")".contains("journal.meta was missing") }, "\(reopened)")
    }
}
