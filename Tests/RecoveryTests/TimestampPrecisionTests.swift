import Foundation
import Testing
import Wire
@testable import Recovery

/// Timestamps kept to the millisecond, and no second 60 (issue 28, found black-box).
@Suite("Timestamp precision and leap seconds")
struct TimestampPrecisionTests {
    static let base: Int64 = 1_795_695_600_000  // 2026-11-26T12:20:00Z

    @Test(
        "an RFC 3339 fraction finer than a millisecond is rounded to the nearest millisecond, carrying into the next second",
        arguments: [
            ("2026-11-26T12:20:00.2506Z", base + 251), ("2026-11-26T12:20:00.2504Z", base + 250), ("2026-11-26T12:20:00.0005Z", base + 1),
            ("2026-11-26T12:20:00.9996Z", base + 1000), ("2026-11-26T12:20:00.123456789+00:00", base + 123), ("2026-11-26T12:20:00.5Z", base + 500),
        ])
    func rfc3339Fraction(text: String, expected: Int64) {
        #expect(Timestamp.parseRFC3339(Array(text.utf8)) == expected)
        #expect(Timestamp.parse(text) == expected)
    }

    @Test("second 60 (a leap second) is refused: the reading is dead-lettered bad_value:ts")
    func leapSecondRefused() {
        #expect(Timestamp.parseRFC3339(Array("2016-12-31T23:59:60Z".utf8)) == nil)
        #expect(Timestamp.parseRFC3339(Array("2016-12-31T23:59:60.500Z".utf8)) == nil)
        var h = Harness()
        let out = h.raw("sensors/s1/temperature", #"{"seq":1,"ts":"2016-12-31T23:59:60Z","temperature":52,"status":"normal"}"#)
        #expect(out.of(.deadLetter).map(\.reason) == ["bad_value:ts"])
    }

    @Test("a numeric ts with a fraction of a millisecond is rounded to the nearest millisecond, in readings and in replay bounds")
    func numericFraction() {
        #expect(Timestamp.parse("1795660000000.6") == 1_795_660_000_001)
        #expect(Timestamp.parse("1795660000000.4") == 1_795_660_000_000)
        var h = Harness()
        h.raw("sensors/s1/temperature", #"{"seq":0,"ts":1795660000000.75,"temperature":52,"status":"normal"}"#)
        let out = h.advance(3_000)
        #expect(
            (out.cleaned.first?.json["ts"] as? NSNumber)?.int64Value == 1_795_660_000_001, "\(out.cleaned.map { String(decoding: $0.payload, as: UTF8.self) })")
    }

    @Test(
        "replay bounds written with a fraction below 10^11 are epoch seconds, as a reading's ts is (found black-box: --from 1796485910.0 and a request's 1796485912.5 read as milliseconds, an empty answer)"
    )
    func fractionalSecondsBounds() {
        #expect(Timestamp.parse("1796485910.0") == 1_796_485_910_000)
        #expect(Timestamp.parse("1796485912.5") == 1_796_485_912_500)
        #expect(Timestamp.parse("1796485910") == 1_796_485_910)
        #expect(Timestamp.parse("1796485910000.0") == 1_796_485_910_000)
        let members = TopLevelMembers(Array(#"{"from":1796485910.0,"to":1796485912.5,"n":17,"big":1796485910000.4}"#.utf8))
        #expect(members?.times["from"] == 1_796_485_910_000)
        #expect(members?.times["to"] == 1_796_485_912_500)
        #expect(members?.times["n"] == 17)
        #expect(members?.times["big"] == 1_796_485_910_000)
        #expect(members?.repeatedKeys == [])
        #expect(TopLevelMembers(Array(#"{"a":1,"b":{"a":2},"a":3}"#.utf8))?.repeatedKeys == ["a"])
        #expect(TopLevelMembers(Array(#"{"a":1"#.utf8)) == nil)
    }
}
