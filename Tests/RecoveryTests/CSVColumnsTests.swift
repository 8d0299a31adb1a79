import Foundation
import Testing
@testable import Recovery
import Wire

/// The `csv-columns` order: what it accepts, how lines read under another order, and that
/// settings journaled before it existed still decode.
@Suite("CSV column order")
struct CSVColumnsTests {
    static func parse(_ text: String, _ columns: String) throws -> Result<Reading, RejectionReason> {
        let order = try CSVColumns(parsing: columns)
        return Array(text.utf8).withUnsafeBufferPointer { ReadingParser.parse($0, sensorID: "s", csvColumns: order) }
    }

    @Test("a column list is read, spelt back and checked: names known, once each, seq, ts and value present")
    func parsing() throws {
        #expect(try CSVColumns(parsing: "seq,ts,value,status,boot") == .standard)
        #expect(try CSVColumns(parsing: " ts , value,seq ").description == "ts,value,seq")
        #expect(try CSVColumns(parsing: "ts,value,seq").order == [.ts, .value, .seq])
        let problems: [(String, String)] = [
            ("seq,ts", "column value is required"),
            ("ts,value,status", "column seq is required"),
            ("seq,ts,value,seq", "column seq given twice"),
            ("seq,ts,temperature", "unknown column temperature: expected seq, ts, value, status, boot"),
            ("seq,,ts,value", "an empty column name: expected seq, ts, value, status, boot"),
            ("", "an empty column name: expected seq, ts, value, status, boot"),
        ]
        for (text, message) in problems {
            #expect(throws: CSVColumns.Invalid(message: message), "\(text)") { try CSVColumns(parsing: text) }
        }
    }

    @Test("lines read in the configured order; optional columns may be left empty or cut off after the last required one")
    func otherOrders() throws {
        let r = { (seq: UInt64, status: Reading.Status, boot: Int64?) in
            Reading(sensorID: "s", seq: seq, ts: 1_795_660_041_000, temperature: 52.31, status: status, boot: boot)
        }
        let order = "ts,value,seq,boot,status"
        #expect(try Self.parse("1795660041000,52.31,41,2,deviated", order).get() == r(41, .deviated, 2))
        #expect(try Self.parse("1795660041000,52.31,41", order).get() == r(41, .normal, nil))
        #expect(try Self.parse("1795660041000,52.31", order) == .failure(.malformedCSV("seq")))
        #expect(try Self.parse("1795660041000,52.31,41,deviated", order) == .failure(.malformedCSV("boot")))
        // The contract's order sent to a gateway told otherwise: 41 is a valid ts and 1795660041000
        // a valid value, but 52.31 is no seq.
        #expect(try Self.parse("41,1795660041000,52.31", order) == .failure(.badValue("seq")))

        let statusFirst = "status,seq,ts,value"
        #expect(try Self.parse(",41,1795660041000,52.31", statusFirst).get() == r(41, .normal, nil))
        #expect(try Self.parse("deviated,41,1795660041000,52.31", statusFirst).get() == r(41, .deviated, nil))
        // The contract's order sent to a gateway told otherwise: the missing column is named.
        #expect(try Self.parse("41,1795660041000,52.31", statusFirst) == .failure(.malformedCSV("value")))

        let short = "seq,ts,value"
        #expect(try Self.parse("41,1795660041000,52.31", short).get() == r(41, .normal, nil))
        #expect(try Self.parse("41,1795660041000,52.31,normal", short) == .failure(.malformedCSV("extra")))
    }

    @Test("the engine takes the order from its configuration")
    func engineOrder() throws {
        var h = Harness { $0.csvColumns = try? CSVColumns(parsing: "value,seq,ts") }
        h.now = 1_795_660_000_500
        #expect(h.raw("sensors/p/temperature", "52.5,0,1795660000000").isEmpty)
        #expect(h.raw("sensors/p/temperature", "1,52.5,1795660001000").map(\.reason) == ["bad_value:seq"])
        #expect(h.advance(3000).summary == ["0:ok"])
    }

    @Test("the order survives the journal's JSON; settings journaled before it existed decode with the standard order")
    func codable() throws {
        var c = EngineConfiguration()
        c.csvColumns = try CSVColumns(parsing: "ts,seq,value")
        let bytes = try WireJSON.encode(c)
        #expect(String(decoding: bytes, as: UTF8.self).contains("\"csvColumns\":\"ts,seq,value\""))
        #expect(try WireJSON.decode(EngineConfiguration.self, from: bytes) == c)
        var old = try JSONSerialization.jsonObject(with: Data(try WireJSON.encode(EngineConfiguration()))) as? [String: Any] ?? [:]
        old["csvColumns"] = nil
        let decoded = try WireJSON.decode(EngineConfiguration.self, from: Array(try JSONSerialization.data(withJSONObject: old)))
        #expect(decoded.csvColumns == nil)
        #expect(decoded == EngineConfiguration())
        #expect(throws: DecodingError.self) { try WireJSON.decode(CSVColumns.self, from: Array("\"seq,ts\"".utf8)) }
    }
}
