import Foundation
import Journal
import Recovery
import Testing
import TestSupport
import Wire
@testable import Gateway

/// `ExportQuery` and the three export forms over a journal written with the journal's own API:
/// exact rows, restatements applied, filters, and the exact text of each form.
@Suite("Export queries and formats")
struct ExportQueryTests {
    /// Appends cleaned publications (topic, payload) to a journal, one record a millisecond apart.
    static func append(_ journal: Journal, _ messages: [(String, String)], at time: Int64) throws {
        for (n, (topic, payload)) in messages.enumerated() {
            let p = Publication(kind: .cleaned, topic: topic, payload: Array(payload.utf8))
            _ = try journal.append(
                type: RecordType.publication.rawValue, flags: UInt16(Publication.Kind.cleaned.rawValue), time: time + Int64(n),
                payload: JournalRecords.encodePublication(p))
        }
        try journal.commit(now: 0)
        try journal.sync()
    }

    static let a = "cleaned/a/temperature", b = "cleaned/b/temperature"
    /// Sensor a: ok, synthetic (restated later), corrected, a gap 3...6 (5 restated later), ok
    /// outside the window; b (boot 2): ok and an unrestated synthetic; a humidity reading; noise
    /// of other kinds.
    static let messages: [(String, String)] = [
        (a, #"{"sensor_id":"a","seq":0,"ts":1000,"temperature":52.0,"status":"normal","quality":"ok"}"#),
        (a, #"{"sensor_id":"a","seq":1,"ts":2000,"temperature":52.5,"status":"normal","quality":"synthetic","method":"linear"}"#),
        (b, #"{"sensor_id":"b","seq":7,"ts":1500,"temperature":51.25,"status":"deviated","quality":"ok","boot":2}"#),
        (a, #"{"sensor_id":"a","seq":2,"ts":3000,"temperature":53.0,"status":"normal","quality":"corrected","raw":70.0,"reason":"out_of_range"}"#),
        (b, #"{"sensor_id":"b","seq":8,"ts":2500,"temperature":51.5,"status":"deviated","quality":"synthetic","method":"locf","boot":2}"#),
        (a, #"{"sensor_id":"a","seq":3,"ts":3000,"quality":"gap","from_seq":3,"to_seq":6,"from_ts":3000,"to_ts":7000,"reason":"journal_damaged"}"#),
        ("cleaned/a/humidity", #"{"sensor_id":"a","seq":0,"ts":4000,"humidity":41.2,"unit":"%","status":"normal","quality":"ok"}"#),
        (a, #"{"sensor_id":"a","seq":7,"ts":7000,"temperature":54.0,"status":"normal","quality":"ok"}"#),
        (a, #"{"sensor_id":"a","seq":8,"ts":9000,"temperature":54.5,"status":"normal","quality":"ok"}"#),
        (a, #"{"sensor_id":"a","seq":1,"ts":2000,"temperature":51.75,"status":"normal","quality":"restated","supersedes":"synthetic"}"#),
        (a, #"{"sensor_id":"a","seq":5,"ts":5000,"temperature":53.5,"status":"normal","quality":"restated","supersedes":"gap"}"#),
        (a, #"{"sensor_id":"a","seq":9,"ts":10000,"temperature":54.0,"status":"normal","quality":"ok"}"#),
    ]

    static func journal(_ dir: TemporaryDirectory) throws -> String {
        let layout = try JournalLayout(directory: dir.file("journal"), maxBytes: 1 << 20, segmentCount: 16)
        let journal = try Journal(layout: layout, fsync: .never)
        // A dead letter and a resend request between them: not cleaned output, never exported.
        _ = try journal.append(
            type: RecordType.publication.rawValue, flags: UInt16(Publication.Kind.deadLetter.rawValue), time: 1,
            payload: JournalRecords.encodePublication(Publication(kind: .deadLetter, topic: "dlq/a/temperature", payload: Array("{}".utf8))))
        try append(journal, messages, at: 10)
        return layout.directory
    }

    static func export(_ dir: String, sensor: String? = nil, measurement: String? = nil, format: ExportFormat) throws -> String {
        var out = format.header
        let result = try ExportQuery(sensorID: sensor, measurement: measurement, from: 1000, to: 10000).run(journalDirectory: dir) {
            format.append($0, to: &out)
        }
        #expect(!result.truncated)
        return String(decoding: out, as: UTF8.self)
    }

    @Test(
        "written as the gateway journals a turn, in one record with a dead letter among them, the export is the same: a restatement in the record of the estimate it replaces still replaces it"
    )
    func oneBatchRecord() throws {
        let single = try TemporaryDirectory()
        defer { single.remove() }
        let batched = try TemporaryDirectory()
        defer { batched.remove() }
        let layout = try JournalLayout(directory: batched.file("journal"), maxBytes: 1 << 20, segmentCount: 16)
        let journal = try Journal(layout: layout, fsync: .never)
        var ps = Self.messages.map { Publication(kind: .cleaned, topic: $0.0, payload: Array($0.1.utf8)) }
        ps.insert(Publication(kind: .deadLetter, topic: "dlq/a/temperature", payload: Array("{}".utf8)), at: 3)
        var record: [UInt8] = []
        let batch = JournalRecords.appendPublicationBatch(ps[...], maxBytes: 1 << 16, to: &record)
        #expect(batch.taken == ps.count)
        _ = try journal.append(type: RecordType.publication.rawValue, flags: batch.flags, time: 10, payload: record)
        try journal.commit(now: 0)
        try journal.sync()
        let singleJournal = try Self.journal(single)
        for format in [ExportFormat.jsonl, .csv] {
            let expected = try Self.export(singleJournal, format: format)
            #expect(try Self.export(layout.directory, format: format) == expected)
            #expect(expected.contains("restated") && !expected.contains("52.5"))
        }
    }

    @Test("JSON lines: each message once with its last value, in publication order, the measurement added; estimates a restatement replaced left out")
    func jsonLines() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let journal = try Self.journal(dir)
        let expected = [
            #"{"sensor_id":"a","seq":0,"ts":1000,"temperature":52.0,"status":"normal","quality":"ok","measurement":"temperature"}"#,
            #"{"sensor_id":"b","seq":7,"ts":1500,"temperature":51.25,"status":"deviated","quality":"ok","boot":2,"measurement":"temperature"}"#,
            #"{"sensor_id":"a","seq":2,"ts":3000,"temperature":53.0,"status":"normal","quality":"corrected","raw":70.0,"reason":"out_of_range","measurement":"temperature"}"#,
            #"{"sensor_id":"b","seq":8,"ts":2500,"temperature":51.5,"status":"deviated","quality":"synthetic","method":"locf","boot":2,"measurement":"temperature"}"#,
            #"{"sensor_id":"a","seq":3,"ts":3000,"quality":"gap","from_seq":3,"to_seq":6,"from_ts":3000,"to_ts":7000,"reason":"journal_damaged","measurement":"temperature"}"#,
            #"{"sensor_id":"a","seq":0,"ts":4000,"humidity":41.2,"unit":"%","status":"normal","quality":"ok","measurement":"humidity"}"#,
            #"{"sensor_id":"a","seq":7,"ts":7000,"temperature":54.0,"status":"normal","quality":"ok","measurement":"temperature"}"#,
            #"{"sensor_id":"a","seq":8,"ts":9000,"temperature":54.5,"status":"normal","quality":"ok","measurement":"temperature"}"#,
            #"{"sensor_id":"a","seq":1,"ts":2000,"temperature":51.75,"status":"normal","quality":"restated","supersedes":"synthetic","measurement":"temperature"}"#,
            #"{"sensor_id":"a","seq":5,"ts":5000,"temperature":53.5,"status":"normal","quality":"restated","supersedes":"gap","measurement":"temperature"}"#,
        ]
        #expect(try Self.export(journal, format: .jsonl) == expected.map { $0 + "\n" }.joined())
        // Filters: one sensor, one measurement.
        #expect(try Self.export(journal, sensor: "b", format: .jsonl) == expected.filter { $0.contains(#""sensor_id":"b""#) }.map { $0 + "\n" }.joined())
        #expect(
            try Self.export(journal, measurement: "temperature", format: .jsonl)
                == expected.filter { !$0.contains("humidity") }.map { $0 + "\n" }.joined())
    }

    /// The CSV export of `messages`: the header, then one row per message with the same columns;
    /// a gap row spans from_seq..to_seq.
    static let csv = """
        sensor_id,measurement,boot,seq,ts,value,unit,status,quality,method,raw,reason,supersedes,from_seq,to_seq,from_ts,to_ts
        a,temperature,,0,1000,52.0,,normal,ok,,,,,,,,
        b,temperature,2,7,1500,51.25,,deviated,ok,,,,,,,,
        a,temperature,,2,3000,53.0,,normal,corrected,,70.0,out_of_range,,,,,
        b,temperature,2,8,2500,51.5,,deviated,synthetic,locf,,,,,,,
        a,temperature,,3,3000,,,,gap,,,journal_damaged,,3,6,3000,7000
        a,humidity,,0,4000,41.2,%,normal,ok,,,,,,,,
        a,temperature,,7,7000,54.0,,normal,ok,,,,,,,,
        a,temperature,,8,9000,54.5,,normal,ok,,,,,,,,
        a,temperature,,1,2000,51.75,,normal,restated,,,,synthetic,,,,
        a,temperature,,5,5000,53.5,,normal,restated,,,,gap,,,,

        """

    /// The line-protocol export of `messages`: sensor_id the only tag, quality and seq/boot fields,
    /// ts in ns; gaps in <measurement>_gap.
    static let influx = """
        temperature,sensor_id=a temperature=52.0,quality="ok",seq=0i,status="normal",method="",reason="",supersedes="" 1000000000
        temperature,sensor_id=b temperature=51.25,quality="ok",seq=7i,boot=2i,status="deviated",method="",reason="",supersedes="" 1500000000
        temperature,sensor_id=a temperature=53.0,quality="corrected",seq=2i,status="normal",method="",reason="out_of_range",supersedes="",raw=70.0 3000000000
        temperature,sensor_id=b temperature=51.5,quality="synthetic",seq=8i,boot=2i,status="deviated",method="locf",reason="",supersedes="" 2500000000
        temperature_gap,sensor_id=a quality="gap",seq=3i,from_seq=3i,to_seq=6i,from_ts=3000i,to_ts=7000i,reason="journal_damaged" 3000000000
        humidity,sensor_id=a humidity=41.2,quality="ok",seq=0i,status="normal",method="",reason="",supersedes="",unit="%" 4000000000
        temperature,sensor_id=a temperature=54.0,quality="ok",seq=7i,status="normal",method="",reason="",supersedes="" 7000000000
        temperature,sensor_id=a temperature=54.5,quality="ok",seq=8i,status="normal",method="",reason="",supersedes="" 9000000000
        temperature,sensor_id=a temperature=51.75,quality="restated",seq=1i,status="normal",method="",reason="",supersedes="synthetic" 2000000000
        temperature,sensor_id=a temperature=53.5,quality="restated",seq=5i,status="normal",method="",reason="",supersedes="gap" 5000000000

        """

    @Test("CSV and InfluxDB line protocol: the exact text of each form", arguments: [(ExportFormat.csv, csv), (.influx, influx)])
    func text(format: ExportFormat, expected: String) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        #expect(try Self.export(try Self.journal(dir), format: format) == expected)
    }

    @Test("a restatement journaled after the export's first pass is not half applied: the second pass stops where the first ended")
    func appendedDuringExport() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let layout = try JournalLayout(directory: dir.file("journal"), maxBytes: 1 << 20, segmentCount: 16)
        let journal = try Journal(layout: layout, fsync: .never)
        try Self.append(journal, Array(Self.messages.prefix(2)), at: 10)
        var lines: [String] = []
        var appended = false
        _ = try ExportQuery(sensorID: nil, measurement: nil, from: 0, to: 100_000).run(
            journalDirectory: layout.directory,
            progress: { p in
                // Between the passes: the gateway restates seq 1 and publishes seq 2.
                if p.phase == .writing && !appended {
                    appended = true
                    try? Self.append(journal, [Self.messages[9], Self.messages[3]], at: 100)
                }
            }
        ) { row in lines.append("\(row.seq):\(row.quality)") }
        #expect(appended)
        #expect(lines == ["0:ok", "1:synthetic"])
    }

    @Test("an export changes no byte of the journal and holds no lock: a writer opens it while it runs, and after")
    func readOnly() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let journal = try Self.journal(dir)
        func contents() throws -> [String: [UInt8]] {
            var all: [String: [UInt8]] = [:]
            for name in try FileManager.default.contentsOfDirectory(atPath: journal) {
                all[name] = Array(try Data(contentsOf: URL(fileURLWithPath: "\(journal)/\(name)")))
            }
            return all
        }
        let before = try contents()
        let rows = try Self.export(journal, format: .jsonl)
        #expect(rows.split(separator: "\n").count == 10)
        let after = try contents()
        #expect(after.keys.sorted() == before.keys.sorted())
        #expect(after == before)
        // The one-writer lock stays free while an export reads: a writer can take it meanwhile.
        var opened = false
        _ = try ExportQuery(sensorID: nil, measurement: nil, from: 0, to: 100_000).run(
            journalDirectory: journal,
            progress: { p in
                if !opened, p.phase == .writing {
                    opened = (try? Journal(layout: JournalLayout(directory: journal, maxBytes: 1 << 20, segmentCount: 16), fsync: .never)) != nil
                }
            }
        ) { _ in }
        #expect(opened)
    }

    @Test("a journal that is not there cannot be read: the query throws (the command exits 66)")
    func missingJournal() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        #expect(throws: (any Error).self) {
            try ExportQuery(sensorID: nil, measurement: nil, from: 0, to: 1).run(journalDirectory: dir.file("nothing")) { _ in }
        }
    }
}
