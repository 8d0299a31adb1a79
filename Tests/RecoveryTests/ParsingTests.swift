import Foundation
import DeterministicRandom
import Testing
@testable import Recovery
import Wire

@Suite("Parsing and validation become the contract's dead-letter reasons")
struct ParsingTests {
    static let cases: [(String, String)] = [
        ("{\"seq\":4", "malformed_json"),
        // Payloads that do not start with `{` are CSV (CSVParsingTests): "not json", "", "[1,2]".
        (" {\"seq\":1,\"ts\":1,\"temperature\":52,\"status\":\"normal\"", "malformed_json"),
        ("{\"seq\":1,\"ts\":1,\"temperature\":52,\"status\":\"normal\"} trailing", "malformed_json"),
        ("{\"seq\":1,\"ts\":1,\"temperature\":NaN,\"status\":\"normal\"}", "malformed_json"),
        ("{\"ts\":1,\"temperature\":52,\"status\":\"normal\"}", "missing_field:seq"),
        ("{\"seq\":1,\"temperature\":52,\"status\":\"normal\"}", "missing_field:ts"),
        ("{\"seq\":1,\"ts\":1,\"status\":\"normal\"}", "missing_field:temperature"),
        ("{\"seq\":1,\"ts\":1,\"temperature\":52}", "missing_field:status"),
        ("{\"seq\":\"1\",\"ts\":1,\"temperature\":52,\"status\":\"normal\"}", "bad_type:seq"),
        ("{\"seq\":-1,\"ts\":1,\"temperature\":52,\"status\":\"normal\"}", "bad_value:seq"),
        ("{\"seq\":1.5,\"ts\":1,\"temperature\":52,\"status\":\"normal\"}", "bad_value:seq"),
        ("{\"seq\":9007199254740992,\"ts\":1,\"temperature\":52,\"status\":\"normal\"}", "bad_value:seq"),
        ("{\"seq\":18446744073709551616,\"ts\":1,\"temperature\":52,\"status\":\"normal\"}", "bad_value:seq"),
        ("{\"seq\":1,\"ts\":true,\"temperature\":52,\"status\":\"normal\"}", "bad_type:ts"),
        ("{\"seq\":1,\"ts\":\"yesterday\",\"temperature\":52,\"status\":\"normal\"}", "bad_value:ts"),
        ("{\"seq\":1,\"ts\":\"2026-02-30T00:00:00Z\",\"temperature\":52,\"status\":\"normal\"}", "bad_value:ts"),
        // RFC 3339 text is held to the numeric limit (before the year 10000 in UTC).
        ("{\"seq\":1,\"ts\":\"9999-12-31T23:59:59.999-23:59\",\"temperature\":52,\"status\":\"normal\"}", "bad_value:ts"),
        ("{\"seq\":1,\"ts\":1,\"temperature\":\"52\",\"status\":\"normal\"}", "bad_type:temperature"),
        ("{\"seq\":1,\"ts\":1,\"temperature\":1e999,\"status\":\"normal\"}", "bad_value:temperature"),
        ("{\"seq\":1,\"ts\":1,\"temperature\":52,\"status\":\"weird\"}", "bad_value:status"),
        ("{\"seq\":1,\"ts\":1,\"temperature\":52,\"status\":7}", "bad_type:status"),
        ("{\"seq\":1,\"ts\":1,\"temperature\":52,\"status\":\"normal\",\"boot\":\"x\"}", "bad_type:boot"),
        ("{\"seq\":1,\"ts\":1,\"temperature\":52,\"status\":\"normal\",\"sensor_id\":\"other\"}", "sensor_id_mismatch"),
        ("{\"seq\":1,\"ts\":1,\"temperature\":52,\"status\":\"normal\",\"sensor_id\":5}", "bad_type:sensor_id"),
        // `value` stands for the measurement's value when `temperature` is absent, held to its rules.
        ("{\"seq\":1,\"ts\":1,\"value\":\"52\",\"status\":\"normal\"}", "bad_type:value"),
        ("{\"seq\":1,\"ts\":1,\"value\":1e999,\"status\":\"normal\"}", "bad_value:value"),
        ("{\"seq\":1,\"ts\":1,\"value\":52,\"value\":53,\"status\":\"normal\"}", "malformed_json"),
        ("{\"seq\":1,\"ts\":1,\"temperature\":\"52\",\"value\":52,\"status\":\"normal\"}", "bad_type:temperature"),
    ]

    @Test("each malformed payload is dead-lettered with its reason", arguments: cases)
    func reasons(payload: String, reason: String) {
        var h = Harness()
        let out = h.raw("sensors/press-01/temperature", payload)
        #expect(out.count == 1)
        #expect(out.first?.kind == .deadLetter)
        #expect(out.first?.topic == "dlq/press-01/temperature")
        #expect(out.first?.reason == reason)
        #expect(out.first?.json["payload"] as? String == payload)
        #expect((out.first?.json["received_at"] as? NSNumber)?.int64Value == h.now)
    }

    @Test("invalid UTF-8 anywhere in a payload, even in a field nobody reads, is malformed_json; valid UTF-8 is fine")
    func utf8() {
        let prefix = Array("{\"seq\":1,\"ts\":1,\"temperature\":52,\"status\":\"normal\",\"note\":\"".utf8)
        for bad: [UInt8] in [[0xFF], [0xC3], [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0xF4, 0x90, 0x80, 0x80]] {
            var h = Harness()
            let out = h.rawBytes("sensors/press-01/temperature", prefix + bad + Array("\"}".utf8))
            #expect(out.map(\.reason) == ["malformed_json"], "bytes \(bad)")
        }
        var h = Harness()
        let out = h.rawBytes("sensors/press-01/temperature", prefix + Array("Kühlwasser ✓ 温度\"}".utf8))
        #expect(out.allSatisfy { $0.reason == nil })
        #expect(ReadingParser.isValidUTF8(UnsafeBufferPointer(start: nil, count: 0)))
    }

    /// Found black-box (91st review): a JSON reading behind a byte-order mark was read as CSV.
    @Test("a UTF-8 byte-order mark before a JSON reading or a CSV line is skipped; a BOM alone is still refused")
    func byteOrderMarkSkipped() {
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        var h = Harness()
        #expect(
            h.rawBytes("sensors/bom-1/temperature", bom + Array("{\"seq\":0,\"ts\":1795660000000,\"temperature\":52.5,\"status\":\"normal\"}".utf8)).isEmpty)
        #expect(h.rawBytes("sensors/bom-1/temperature", bom + Array("1,1795660001000,52.6,normal".utf8)).isEmpty)
        h.advance(3000)
        #expect(h.log.summary == ["0:ok", "1:ok"], "\(h.log.map(\.text))")
        #expect(h.rawBytes("sensors/bom-1/temperature", bom).map(\.reason).first??.hasPrefix("malformed_csv") == true)
    }

    @Test("valid payloads with extras, RFC 3339 times and a matching sensor_id are accepted")
    func accepted() {
        var h = Harness()
        let out = h.raw(
            "sensors/press-01/temperature",
            "{\"sensor_id\":\"press-01\",\"seq\":7,\"ts\":\"2026-11-26T03:00:00.250+01:00\",\"temperature\":52.31,\"status\":\"deviated\",\"extra\":{\"a\":[1,{\"b\":null}]}}"
        )
        #expect(out.isEmpty)
        let released = h.advance(2000)
        #expect(
            released.cleaned.map(\.text) == [
                "{\"sensor_id\":\"press-01\",\"seq\":7,\"ts\":1795658400250,\"temperature\":52.31,\"status\":\"deviated\",\"quality\":\"ok\"}"
            ])
    }

    @Test("the value under `value` (CONTRACT.md section 10) is the temperature when `temperature` is absent; beside it, `value` is an unknown field")
    func genericValue() {
        var h = Harness()
        h.raw("sensors/v/temperature", "{\"seq\":0,\"ts\":1795660000000,\"value\":52.5,\"status\":\"normal\"}")
        h.raw("sensors/v/temperature", "{\"seq\":1,\"ts\":1795660001000,\"temperature\":51.5,\"value\":\"raw adc 311\",\"status\":\"normal\"}")
        h.raw("sensors/v/temperature", "{\"value\":60,\"seq\":2,\"ts\":1795660002000,\"status\":\"normal\"}")
        h.advance(3000)
        #expect(h.log.of(.deadLetter).map(\.reason) == ["out_of_range"])
        #expect(
            h.log.cleaned.map(\.text) == [
                "{\"sensor_id\":\"v\",\"seq\":0,\"ts\":1795660000000,\"temperature\":52.5,\"status\":\"normal\",\"quality\":\"ok\"}",
                "{\"sensor_id\":\"v\",\"seq\":1,\"ts\":1795660001000,\"temperature\":51.5,\"status\":\"normal\",\"quality\":\"ok\"}",
                "{\"sensor_id\":\"v\",\"seq\":2,\"ts\":1795660002000,\"temperature\":51.5,\"status\":\"normal\",\"quality\":\"corrected\",\"raw\":60.0,\"reason\":\"out_of_range\"}",
            ])
    }

    @Test("ts in epoch seconds with a fraction, in JSON and CSV, is the same instant as in milliseconds; integers and large numbers stay milliseconds")
    func epochSeconds() {
        let forms: [(String, Int64)] = [
            ("1795660041.25", 1_795_660_041_250), ("1795660041.0", 1_795_660_041_000), ("1.79566004125e9", 1_795_660_041_250),
            ("1795660041250", 1_795_660_041_250), ("1795660041250.4", 1_795_660_041_250), ("1795660041", 1_795_660_041),
        ]
        for (i, (written, ms)) in forms.enumerated() {
            for csv in [false, true] {
                var h = Harness()
                let payload =
                    csv
                    ? "\(i),\(written),52,normal"
                    : "{\"seq\":\(i),\"ts\":\(written),\"temperature\":52,\"status\":\"normal\"}"
                h.raw("sensors/t/temperature", payload)
                h.advance(3000)
                let ts = (h.log.cleaned.first?.json["ts"] as? NSNumber)?.int64Value
                #expect(ts == ms, "\(csv ? "CSV" : "JSON") ts \(written)")
            }
        }
    }

    @Test("hostile sensor ids in the topic go to dlq/_invalid", arguments: ["..", ".", "a b", "x/y", String(repeating: "a", count: 65), "ünï", ""])
    func invalidSensorIDs(id: String) {
        var h = Harness()
        let out = h.raw("sensors/\(id)/temperature", "{\"seq\":1,\"ts\":1,\"temperature\":52,\"status\":\"normal\"}")
        #expect(out.map(\.topic) == ["dlq/_invalid/temperature"])
        #expect(out.first?.reason == "invalid_sensor_id")
    }

    @Test("a timestamp further ahead of the receive time than the tolerance is dead-lettered bad_value:ts and touches no state; the past is always valid")
    func futureTimestamps() {
        var h = Harness { $0.futureToleranceMs = 86_400_000 }
        h.now = 1_795_660_000_000  // a set clock (before 2025 the check is skipped: see ClockNotSetTests)
        let ahead = h.send("clock", seq: 0, ts: h.now + 86_400_001)
        #expect(ahead.map(\.topic) == ["dlq/clock/temperature"])
        #expect(ahead.first?.reason == "bad_value:ts")
        #expect(h.engine.summaries.isEmpty, "a rejected reading must not register its sensor")
        let year9999 = h.send("clock", seq: 0, ts: 253_402_300_799_999)
        #expect(year9999.first?.reason == "bad_value:ts")
        // At the limit, and far in the past: ordinary readings.
        #expect(h.send("clock", seq: 0, ts: h.now + 86_400_000).allSatisfy { $0.kind != .deadLetter })
        #expect(h.send("old", seq: 0, ts: 5).allSatisfy { $0.kind != .deadLetter })
        #expect(h.engine.summaries.map(\.sensorID).sorted() == ["clock", "old"])
    }

    @Test("a new sensor id beyond the tracked-sensor limit is dead-lettered too_many_sensors; known sensors carry on")
    func sensorLimit() {
        var h = Harness { $0.maxSensors = 2 }
        h.send("a", seq: 0)
        h.send("b", seq: 0)
        let third = h.send("c", seq: 0)
        #expect(third.map(\.topic) == ["dlq/c/temperature"])
        #expect(third.first?.reason == "too_many_sensors")
        #expect(h.engine.summaries.map(\.sensorID) == ["a", "b"])
        h.send("a", seq: 1)
        h.advance(5000)
        #expect(h.log.contains { $0.topic == "cleaned/a/temperature" && $0.json["seq"] as? Int == 1 })
    }

    @Test(
        "a known field given twice is malformed_json (which one wins is ambiguous); unknown fields may repeat",
        arguments: [
            "{\"seq\":0,\"seq\":5,\"ts\":1,\"temperature\":52,\"status\":\"normal\"}",
            "{\"sensor_id\":\"s1\",\"seq\":0,\"ts\":1,\"temperature\":52,\"status\":\"normal\",\"sensor_id\":\"other\"}",
            "{\"seq\":0,\"ts\":1,\"temperature\":52,\"temperature\":53,\"status\":\"normal\"}",
            // A field's name written with escapes: parsers downstream decode it (Python reads boot
            // 2 here), this one matched raw bytes and took boot 1 (found black-box).
            "{\"seq\":0,\"ts\":1,\"temperature\":52,\"status\":\"normal\",\"boot\":1,\"b\\u006fot\":2}",
            // Alone, too: it was dead-lettered missing_field:seq, naming the wrong problem.
            "{\"s\\u0065q\":0,\"ts\":1,\"temperature\":52,\"status\":\"normal\"}",
        ])
    func duplicateKeys(payload: String) {
        var h = Harness()
        #expect(h.raw("sensors/s1/temperature", payload).first?.reason == "malformed_json")
        let repeatedUnknown = h.raw("sensors/s1/temperature", "{\"seq\":0,\"ts\":1,\"x\":1,\"x\":2,\"temperature\":52,\"status\":\"normal\"}")
        #expect(repeatedUnknown.allSatisfy { $0.kind != .deadLetter })
    }

    @Test("an oversized payload is cut to the limit and flagged truncated; binary is base64")
    func oversizedAndBinary() {
        var h = Harness { $0.maxPayloadBytes = 16 }
        let big = h.raw("sensors/s1/temperature", String(repeating: "x", count: 40))
        #expect(big.first?.reason == "payload_too_large")
        #expect(big.first?.json["payload"] as? String == String(repeating: "x", count: 16))
        #expect(big.first?.json["truncated"] as? Bool == true)

        // Not starting with `{`: read as a CSV line, whose first column is no number.
        let binary = h.rawBytes("sensors/s1/temperature", [0xFF, 0xFE, 0x00, 0x7B])
        #expect(binary.first?.reason == "malformed_csv:seq")
        #expect(binary.first?.json["payload_base64"] as? String == Data([0xFF, 0xFE, 0x00, 0x7B]).base64EncodedString())
        #expect(binary.first?.json["payload"] == nil)
    }

    @Test(
        "RFC 3339 conversion matches Foundation's",
        arguments: [
            "1970-01-01T00:00:00Z", "2026-11-26T03:00:00.250Z", "2024-02-29T23:59:59.999-05:30", "2000-12-31t12:00:00.1+14:00",
        ])
    func rfc3339(text: String) throws {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let g = ISO8601DateFormatter()
        let date = try #require(f.date(from: text.uppercased()) ?? g.date(from: text.uppercased()))
        #expect(Timestamp.parseRFC3339(Array(text.utf8)) == Int64((date.timeIntervalSince1970 * 1000).rounded()))
    }

    @Test("random bytes, truncations and deep nesting never crash and always dead-letter")
    func hostileBytes() {
        var h = Harness()
        var rng = SplitMix64(seed: 42)
        let valid = Array("{\"seq\":1,\"ts\":1795660000000,\"temperature\":52.5,\"status\":\"normal\",\"boot\":1}".utf8)
        for n in 0..<valid.count {
            let out = h.rawBytes("sensors/s2/temperature", Array(valid.prefix(n)))
            #expect(out.first?.kind == .deadLetter)
        }
        for _ in 0..<3000 {
            let len = Int(rng.next() % 80)
            let bytes = (0..<len).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            _ = h.rawBytes("sensors/s3/temperature", bytes)
        }
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        var roomy = Harness { $0.maxPayloadBytes = 1 << 21 }
        #expect(roomy.raw("sensors/s1/temperature", "{\"x\":\(deep),\"seq\":1}").first?.reason == "missing_field:ts")
        let huge = "{\"seq\":1,\"ts\":1,\"temperature\":52,\"status\":\"\(String(repeating: "a", count: 1_000_000))\"}"
        #expect(h.raw("sensors/s1/temperature", huge).first?.reason == "payload_too_large")
    }
}
