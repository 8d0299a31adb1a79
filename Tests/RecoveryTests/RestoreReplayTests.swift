import Foundation
import Testing
import Wire
@testable import Recovery

/// A restart's replay when a record of the journal was destroyed at rest (issue 29, finding 3):
/// the publications already journaled stand, and the replay reconciles with them.
@Suite("Restore replay with a destroyed record")
struct RestoreReplayTests {
    /// What the gateway journals, in order: the engine's input and its publications.
    enum Record {
        case input(topic: String, payload: [UInt8], time: Int64)
        case tick(time: Int64)
        case publication(Publication, time: Int64)
    }

    static let start: Int64 = 1_795_660_000_000

    static func payload(_ seq: Int, field: String = "temperature") -> [UInt8] {
        Array("{\"seq\":\(seq),\"ts\":\(start + Int64(seq) * 1000),\"\(field)\":52.\(seq),\"status\":\"normal\",\"boot\":1}".utf8)
    }

    /// A live run of sensor `a`, one reading a second (seqs 0-9, in order), as the gateway
    /// journals it: each turn's input, a tick when one is due, then the turn's publications.
    static func liveJournal(field: String = "temperature") -> [Record] {
        var engine = RecoveryEngine(configuration: configuration)
        var journal: [Record] = []
        for step in 0..<30 {
            let now = start + Int64(step) * 1000
            var out: [Publication] = []
            if step < 10 {
                journal.append(.input(topic: "sensors/a/\(field)", payload: payload(step, field: field), time: now))
                engine.ingest(topic: "sensors/a/\(field)", payload: payload(step, field: field), receivedAt: now, into: &out)
            }
            if let due = engine.nextDeadline(), due <= now {
                journal.append(.tick(time: now))
                engine.tick(now: now, into: &out)
            }
            journal += out.map { .publication($0, time: now) }
        }
        return journal
    }

    static var configuration: EngineConfiguration {
        var c = EngineConfiguration()
        c.gatewayID = "gw"
        c.reorderWindowMs = 2000
        c.measurements = [MeasurementDefinition(name: "humidity", unit: "%RH", validMin: 0, validMax: 100)]
        return c
    }

    /// Replays `journal` from an empty engine, as a restart without a snapshot does.
    static func replay(_ journal: [Record]) -> (RestoreReplay, [Publication]) {
        var replay = RestoreReplay(engine: RecoveryEngine(configuration: configuration))
        for record in journal {
            switch record {
            case .input(let topic, let payload, let time): replay.input(topic: topic, payload: payload, receivedAt: time)
            case .tick(let time): replay.tick(at: time)
            case .publication(let p, let time): replay.journaled(p, at: time)
            }
        }
        let toJournal = replay.finish()
        return (replay, toJournal)
    }

    static func cleaned(_ publications: [Publication]) throws -> [CleanedReading] {
        try publications.filter { $0.kind == .cleaned }.map { try WireJSON.decode(CleanedReading.self, from: $0.payload) }
    }

    static func journaled(_ journal: [Record]) -> [Publication] {
        journal.compactMap { if case .publication(let p, _) = $0 { p } else { nil } }
    }

    @Test("an intact journal replays to exactly its publications: nothing new to journal")
    func intactJournal() {
        let (replay, toJournal) = Self.replay(Self.liveJournal())
        #expect(!replay.diverged)
        #expect(replay.mismatchedPublications == 0)
        #expect(toJournal.isEmpty, "\(toJournal.map(\.text))")
    }

    @Test("a journal written before 0.2.0 (each cleaned/ message before its latest/ copy) replays without diverging: an upgrade is not damage")
    func olderPairOrder() {
        var journal = Self.liveJournal()
        var swapped = 0
        var i = 0
        while i + 1 < journal.count {
            if case .publication(let first, let t) = journal[i], first.kind == .latest, case .publication(let second, _) = journal[i + 1],
                second.kind == .cleaned, second.payload == first.payload
            {
                journal[i] = .publication(second, time: t)
                journal[i + 1] = .publication(first, time: t)
                swapped += 1
                i += 2
            } else {
                i += 1
            }
        }
        #expect(swapped >= 10)
        let (replay, toJournal) = Self.replay(journal)
        #expect(!replay.diverged)
        #expect(replay.mismatchedPublications == 0)
        #expect(toJournal.isEmpty, "\(toJournal.map(\.text))")
    }

    @Test("the input of a reading published ok is destroyed: it stays published ok, is not filled, and a late copy is a duplicate")
    func destroyedInputAlreadyPublished() throws {
        var journal = Self.liveJournal()
        let lost = journal.firstIndex {
            if case .input(_, let payload, _) = $0 { payload == Self.payload(3) } else { false }
        }!
        journal.remove(at: lost)
        let (replay, toJournal) = Self.replay(journal)
        #expect(replay.diverged)
        #expect(replay.rebuiltReadings == 1)
        // What consumers saw (the journaled publications) and what the restart publishes anew:
        // every seq once, no contradiction, no synthetic 3.
        let seen = try Self.cleaned(Self.journaled(journal) + toJournal)
        let accounting = StreamAccounting(seen)
        #expect(accounting.allProblems.isEmpty, "\(accounting.allProblems)")
        #expect(accounting.coveredSeqs[StreamKey(sensorID: "a", boot: 1)] == Array(0...9))
        #expect(seen.allSatisfy { $0.quality == .ok }, "\(seen)")
        // The sensor answers a resend with the real 3: already published, so a duplicate.
        var engine = replay.engine
        var out: [Publication] = []
        engine.ingest(topic: "sensors/a/temperature", payload: Self.payload(3), receivedAt: Self.start + 31_000, into: &out)
        #expect(try Self.cleaned(out).isEmpty, "\(out.map(\.text))")
    }

    @Test(
        "the input of a humidity reading published ok is destroyed: rebuilt from its publication, it goes back in as humidity, never as a temperature reading")
    func destroyedInputOfAnotherMeasurement() throws {
        var journal = Self.liveJournal(field: "humidity")
        let lost = journal.firstIndex {
            if case .input(_, let payload, _) = $0 { payload == Self.payload(3, field: "humidity") } else { false }
        }!
        journal.remove(at: lost)
        let (replay, toJournal) = Self.replay(journal)
        #expect(replay.diverged)
        #expect(replay.rebuiltReadings == 1)
        #expect(toJournal.isEmpty, "\(toJournal.map(\.text))")
        #expect(replay.engine.summaries.map { "\($0.sensorID) \($0.measurement ?? "temperature")" } == ["a humidity"])
        var engine = replay.engine
        var out: [Publication] = []
        engine.ingest(topic: "sensors/a/humidity", payload: Self.payload(3, field: "humidity"), receivedAt: Self.start + 31_000, into: &out)
        #expect(try Self.cleaned(out).isEmpty, "\(out.map(\.text))")
    }

    @Test("the record of a publication is destroyed: the replay journals it again, identical")
    func destroyedPublication() throws {
        let live = Self.liveJournal()
        var journal = live
        let lost = journal.firstIndex {
            if case .publication(let p, _) = $0 { p.kind == .cleaned && p.text.contains("\"seq\":5,") } else { false }
        }!
        journal.remove(at: lost)
        let (_, toJournal) = Self.replay(journal)
        let again = try Self.cleaned(toJournal)
        #expect(again.map(\.seq) == [5], "\(toJournal.map(\.text))")
        // Consumers may have had it before the crash: the second copy is identical.
        let seen = try Self.cleaned(Self.journaled(live) + toJournal)
        let accounting = StreamAccounting(seen)
        #expect(accounting.allProblems.isEmpty, "\(accounting.allProblems)")
        #expect(accounting.conflictingDuplicates == 0)
    }
}
