import Testing
@testable import Recovery
import Wire

/// CSV payloads (docs/INTERFACE.md section 10): exact readings for what is accepted, exact
/// dead-letter reasons for what is not.
@Suite("CSV payloads parse to the same readings and reasons as JSON")
struct CSVParsingTests {
    static func parse(_ text: String, columns: CSVColumns? = nil) -> Result<Reading, RejectionReason> {
        Array(text.utf8).withUnsafeBufferPointer { ReadingParser.parse($0, sensorID: "press-01", csvColumns: columns) }
    }

    static func reading(_ seq: UInt64, _ ts: Int64, _ value: Double, _ status: Reading.Status = .normal, boot: Int64? = nil) -> Reading {
        Reading(sensorID: "press-01", seq: seq, ts: ts, temperature: value, status: status, boot: boot)
    }

    @Test("the contract's example: 41,1795660041000,52.31,normal on sensors/press-01/temperature")
    func contractExample() throws {
        var h = Harness()
        h.now = 1_795_660_041_100
        #expect(h.raw("sensors/press-01/temperature", "41,1795660041000,52.31,normal").isEmpty)
        let released = h.advance(2000)
        #expect(
            released.cleaned.map(\.text) == [
                "{\"sensor_id\":\"press-01\",\"seq\":41,\"ts\":1795660041000,\"temperature\":52.31,\"status\":\"normal\",\"quality\":\"ok\"}"
            ])
        #expect(try Self.parse("41,1795660041000,52.31,normal").get() == Self.reading(41, 1_795_660_041_000, 52.31))
    }

    static let accepted: [(String, Reading)] = [
        ("41,1795660041000,52.31", reading(41, 1_795_660_041_000, 52.31)),
        ("41,1795660041000,52.31,deviated", reading(41, 1_795_660_041_000, 52.31, .deviated)),
        ("41,1795660041000,52.31,deviated,3", reading(41, 1_795_660_041_000, 52.31, .deviated, boot: 3)),
        ("41,1795660041000,52.31,,3", reading(41, 1_795_660_041_000, 52.31, boot: 3)),
        ("41,1795660041000,52.31,normal,", reading(41, 1_795_660_041_000, 52.31)),
        ("41,1795660041000,52.31,normal\n", reading(41, 1_795_660_041_000, 52.31)),
        ("41,1795660041000,52.31,normal\r\n", reading(41, 1_795_660_041_000, 52.31)),
        ("  41 , 1795660041000\t, 52.31 ,normal  \r\n ", reading(41, 1_795_660_041_000, 52.31)),
        ("41,2026-11-26T03:00:00.250+01:00,52.31", reading(41, 1_795_658_400_250, 52.31)),
        ("41,2026-11-26T02:00:00.250Z,52.31", reading(41, 1_795_658_400_250, 52.31)),
        ("41,1795660041000.4,52.31", reading(41, 1_795_660_041_000, 52.31)),
        ("41,1795660041000,-5.25e1", reading(41, 1_795_660_041_000, -52.5)),
        ("0,0,0", reading(0, 0, 0)),
        ("9007199254740991,1,52", reading(9_007_199_254_740_991, 1, 52)),
    ]

    @Test("accepted lines give exactly these readings", arguments: accepted)
    func acceptedLines(line: String, expected: Reading) throws {
        #expect(try Self.parse(line).get() == expected)
    }

    static let rejected: [(String, String)] = [
        // Lines that do not parse: the column where it failed.
        ("", "malformed_csv:seq"),
        ("   \r\n", "malformed_csv:seq"),
        ("not json", "malformed_csv:seq"),
        ("[1,2]", "malformed_csv:seq"),
        ("41", "malformed_csv:ts"),
        ("41,1795660041000", "malformed_csv:value"),
        ("41,1795660041000,", "malformed_csv:value"),
        (",1795660041000,52.31", "malformed_csv:seq"),
        ("41,,52.31", "malformed_csv:ts"),
        ("41, ,52.31", "malformed_csv:ts"),
        ("4x,1795660041000,52.31", "malformed_csv:seq"),
        ("41,1795660041000,abc", "malformed_csv:value"),
        ("41,1795660041000,NaN", "malformed_csv:value"),
        ("41,1795660041000,52 .31", "malformed_csv:value"),
        ("41,1795660041000,+52.31", "malformed_csv:value"),
        ("41,1795660041000,52.31,normal,x", "malformed_csv:boot"),
        ("41,1795660041000,52.31,normal,3,x", "malformed_csv:extra"),
        ("41,1795660041000,52.31,normal,3,", "malformed_csv:extra"),
        ("\"41\",1795660041000,52.31", "malformed_csv:seq"),
        ("41,1795660041000,\"52.31\"", "malformed_csv:value"),
        ("41,1795660041000,52.31,\"normal\"", "malformed_csv:status"),
        ("41,17956600\u{0}41000,52.31", "malformed_csv:ts"),
        ("41,1795660041000,52.31\u{0}", "malformed_csv:value"),
        ("41,17956\t60041000,52.31", "malformed_csv:ts"),
        ("41,1795660041000,52.31,normal\n42,1795660042000,52.4,normal", "malformed_csv:status"),
        ("41,1795660041000,52.31\n\n", "malformed_csv:value"),
        ("41,1795660041000,52.31\r", "malformed_csv:value"),
        ("\n41,1795660041000,52.31", "malformed_csv:seq"),
        ("41,1795660041000,52.31,normäl", "malformed_csv:status"),
        // A malformed column wins over a bad value, wherever each is.
        ("-1,1795660041000,52.31,normal,x", "malformed_csv:boot"),
        ("-1,1795660041000", "malformed_csv:value"),
        // Values refused as JSON refuses them.
        ("-1,1795660041000,52.31", "bad_value:seq"),
        ("1.5,1795660041000,52.31", "bad_value:seq"),
        ("1e3,1795660041000,52.31", "bad_value:seq"),
        ("9007199254740992,1795660041000,52.31", "bad_value:seq"),
        ("18446744073709551616,1795660041000,52.31", "bad_value:seq"),
        ("41,-5,52.31", "bad_value:ts"),
        ("41,yesterday,52.31", "bad_value:ts"),
        ("41,2026-02-30T00:00:00Z,52.31", "bad_value:ts"),
        ("41,2026-11-26T03:00:00,52.31", "bad_value:ts"),
        ("41,253402300800000,52.31", "bad_value:ts"),
        ("41,9999-12-31T23:59:59.999-23:59,52.31", "bad_value:ts"),
        ("41,1795660041000,1e999", "bad_value:value"),
        ("41,1795660041000,52.31,weird", "bad_value:status"),
        ("41,1795660041000,52.31,Normal", "bad_value:status"),
        // A decimal comma splits the value: 31 is no status.
        ("41,1795660041000,52,31", "bad_value:status"),
        ("41,1795660041000,52.31,normal,-1", "bad_value:boot"),
        ("41,1795660041000,52.31,normal,1.5", "bad_value:boot"),
        // The first bad value is the one named.
        ("-1,yesterday,52.31", "bad_value:seq"),
    ]

    @Test("each refused line is dead-lettered with exactly its reason and the line as sent", arguments: rejected)
    func rejectedLines(line: String, reason: String) {
        var h = Harness()
        let out = h.raw("sensors/press-01/temperature", line)
        #expect(out.map(\.topic) == ["dlq/press-01/temperature"])
        #expect(out.first?.reason == reason)
        #expect(out.first?.json["payload"] as? String == line)
        #expect(h.engine.summaries.map(\.sensorID) == ["press-01"], "dead letters are counted on the sensor, as JSON's are")
    }

    @Test("the first byte other than space, tab, CR or LF decides: { is JSON, anything else CSV")
    func detection() {
        let json = "{\"seq\":1,\"ts\":1,\"temperature\":52,\"status\":\"normal\"}"
        for prefix in ["", " ", "\t", "\r\n", " \n "] {
            #expect((try? Self.parse(prefix + json).get()) == Self.reading(1, 1, 52), "\(prefix.debugDescription)")
        }
        // Truncated JSON is still JSON; a CSV line is never read as JSON.
        #expect(Self.parse("{\"seq\":4") == .failure(.malformedJSON))
        #expect(Self.parse(" {41,1,52") == .failure(.malformedJSON))
        #expect(Self.parse("41,1,52,{") == .failure(.badValue("status")))
    }

    @Test("an out-of-range CSV value is published corrected and dead-lettered out_of_range, as JSON's")
    func outOfRange() {
        var h = Harness()
        h.now = 1_795_660_000_500
        h.raw("sensors/p/temperature", "0,1795660000000,52,normal")
        h.raw("sensors/p/temperature", "1,1795660001000,70,normal")
        h.raw("sensors/p/temperature", "2,1795660002000,53,normal")
        #expect(h.log.filter { $0.kind == .deadLetter }.map(\.reason) == ["out_of_range"])
        let released = h.advance(3000)
        #expect(released.summary == ["0:ok", "1:corrected", "2:ok"])
        #expect(released.cleaned.first { $0.quality == "corrected" }?.json["raw"] as? Double == 70)
    }
}
