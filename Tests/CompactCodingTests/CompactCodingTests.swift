import CompactCoding
import DeterministicRandom
import Foundation
import Testing

/// The compact form must give back exactly what was encoded, for every shape synthesized and
/// hand-written `Codable` produces, and must never trap on damaged bytes.
@Suite("Compact coding")
struct CompactCodingTests {
    enum Mode: Codable, Equatable {
        case idle
        case holding(count: Int, since: Int64?)
        case named(String)
    }

    struct Empty: Codable, Equatable {}

    struct Inner: Codable, Equatable {
        var a: Int8
        var b: UInt16
        var c: Float
        var tags: [String]
    }

    struct Everything: Codable, Equatable {
        var flag: Bool
        var small: Int
        var extremes: [Int64]
        var unsignedMax: UInt64
        var doubles: [Double]
        var text: String
        var optionalSet: Int?
        var optionalUnset: String?
        var optionals: [Int?]
        var inner: Inner
        var inners: [Inner]
        var byName: [String: Int]
        var byNumber: [Int: String]
        var modes: [Mode]
        var empty: Empty
        var nested: [[UInt8]]

        static func == (l: Everything, r: Everything) -> Bool {
            // NaN is compared by bit pattern: it must come back as the same NaN.
            l.flag == r.flag && l.small == r.small && l.extremes == r.extremes && l.unsignedMax == r.unsignedMax
                && l.doubles.map(\.bitPattern) == r.doubles.map(\.bitPattern) && l.text == r.text
                && l.optionalSet == r.optionalSet && l.optionalUnset == r.optionalUnset && l.optionals == r.optionals
                && l.inner == r.inner && l.inners == r.inners && l.byName == r.byName && l.byNumber == r.byNumber
                && l.modes == r.modes && l.empty == r.empty && l.nested == r.nested
        }
    }

    static func sample(_ i: Int) -> Everything {
        Everything(
            flag: i % 2 == 0, small: i - 3, extremes: [.min, -1, 0, 1, .max], unsignedMax: .max,
            doubles: [.infinity, -.infinity, .nan, -0.0, 1e-308, 52.123_456_789, .greatestFiniteMagnitude],
            text: "sensor-\(i) °C ✓", optionalSet: i, optionalUnset: nil, optionals: [1, nil, 3],
            inner: Inner(a: -128, b: 65535, c: 1.5, tags: ["x", ""]),
            inners: (0..<i).map { Inner(a: Int8($0), b: UInt16($0), c: Float($0) / 3, tags: []) },
            byName: ["a": 1, "sensor/\(i)": i], byNumber: [7: "seven", -2: "minus two"],
            modes: [.idle, .holding(count: i, since: nil), .holding(count: 0, since: -5), .named("n\(i)")],
            empty: Empty(), nested: [[], [0, 255], [1]])
    }

    @Test("every shape round-trips exactly: extremes, NaN and infinities, optionals, dictionaries, enums with payloads, empty values")
    func roundTrip() throws {
        let encoder = CompactEncoder()
        var decoder = CompactDecoder()
        for i in 0..<5 {
            let value = Self.sample(i)
            let bytes = try encoder.encode(value)
            #expect(try decoder.decode(Everything.self, from: bytes[...]) == value)
        }
    }

    @Test("key names are spelt once per encoder: later values only refer to them, and decode once the earlier ones were learnt")
    func sharedKeyNames() throws {
        let encoder = CompactEncoder()
        let first = try encoder.encode(Self.sample(1))
        let second = try encoder.encode(Self.sample(1))
        #expect(second.count < first.count)
        #expect(!String(decoding: second, as: UTF8.self).contains("optionalUnset"))

        // Learnt in order, then decoded in any order (as the snapshot does on several threads).
        var decoder = CompactDecoder()
        let starts = try [first, second].map { try decoder.learnKeys($0[...]) }
        #expect(try decoder.decode(Everything.self, from: second[...], valueAt: starts[1]) == Self.sample(1))
        #expect(try decoder.decode(Everything.self, from: first[...], valueAt: starts[0]) == Self.sample(1))

        // Without the first value's names the second cannot be read: an error, not a wrong value.
        var fresh = CompactDecoder()
        #expect(throws: (any Error).self) { try fresh.decode(Everything.self, from: second[...]) }
    }

    struct Older: Codable, Equatable {
        var text: String
        var small: Int
    }

    struct Newer: Codable, Equatable {
        var small: Int
        var added: Int?
        var text: String
    }

    /// Reads the keys in the reverse of their written order.
    struct Backwards: Decodable, Equatable {
        var text: String
        var small: Int
        enum CodingKeys: String, CodingKey { case small, text }
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            text = try c.decode(String.self, forKey: .text)
            small = try c.decode(Int.self, forKey: .small)
        }
    }

    @Test("keys can be read in any order, missing optional keys read as nil, extra keys are skipped")
    func keyOrderAndEvolution() throws {
        var decoder = CompactDecoder()
        let older = try CompactEncoder().encode(Older(text: "t", small: 4))
        #expect(try decoder.decode(Newer.self, from: older[...]) == Newer(small: 4, added: nil, text: "t"))
        let newer = try CompactEncoder().encode(Newer(small: 9, added: 3, text: "u"))
        var decoder2 = CompactDecoder()
        #expect(try decoder2.decode(Older.self, from: newer[...]) == Older(text: "u", small: 9))
        var decoder3 = CompactDecoder()
        let backwards = try decoder3.decode(Backwards.self, from: newer[...])
        #expect(backwards.text == "u" && backwards.small == 9)
    }

    /// Encodes one new key, then fails.
    struct FailsHalfway: Encodable {
        struct Refused: Error {}
        enum CodingKeys: String, CodingKey { case onlyHere, small }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(1, forKey: .onlyHere)
            throw Refused()
        }
    }

    struct UsesBoth: Codable, Equatable {
        var onlyHere: Int
        var small: Int
    }

    @Test("a value that fails to encode leaves no key names behind that later values would assume")
    func failedEncodeForgetsItsKeys() throws {
        let encoder = CompactEncoder()
        #expect(throws: FailsHalfway.Refused.self) { try encoder.encode(FailsHalfway()) }
        // The reader never sees the failed value: the next one must spell its names itself.
        let bytes = try encoder.encode(UsesBoth(onlyHere: 2, small: 3))
        var decoder = CompactDecoder()
        #expect(try decoder.decode(UsesBoth.self, from: bytes[...]) == UsesBoth(onlyHere: 2, small: 3))
    }

    /// Encodes part of itself through `superEncoder()`, whose key its own keys do not have.
    struct WithSuper: Codable, Equatable {
        var a: Int
        var base: String
        enum CodingKeys: String, CodingKey { case a }
        init(a: Int, base: String) {
            self.a = a
            self.base = base
        }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(a, forKey: .a)
            try base.encode(to: c.superEncoder())
        }
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            a = try c.decode(Int.self, forKey: .a)
            base = try String(from: c.superDecoder())
        }
    }

    @Test("superEncoder() and superDecoder() work with key types that have no \"super\" case")
    func superKey() throws {
        var decoder = CompactDecoder()
        let bytes = try CompactEncoder().encode(WithSuper(a: 7, base: "b"))
        #expect(try decoder.decode(WithSuper.self, from: bytes[...]) == WithSuper(a: 7, base: "b"))
    }

    @Test("a value of another type, an integer that does not fit: a decoding error")
    func mismatches() throws {
        var decoder = CompactDecoder()
        let bytes = try CompactEncoder().encode(Inner(a: 1, b: 300, c: 2, tags: []))
        struct NarrowB: Decodable { var b: UInt8 }
        #expect(throws: (any Error).self) { try decoder.decode(NarrowB.self, from: bytes[...]) }
        struct TextA: Decodable { var a: String }
        var decoder2 = CompactDecoder()
        #expect(throws: (any Error).self) { try decoder2.decode(TextA.self, from: bytes[...]) }
    }

    @Test("truncated, bit-flipped and random bytes throw or decode; they never trap", arguments: 0..<4)
    func damage(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed + 100)
        let bytes = try CompactEncoder().encode(Self.sample(3))
        var thrown = 0
        for round in 0..<2_000 {
            var damaged = bytes
            switch round % 3 {
            case 0: damaged = Array(bytes.prefix(Int(rng.next() % UInt64(bytes.count))))
            case 1:
                for _ in 0..<(1 + Int(rng.next() % 4)) { damaged[Int(rng.next() % UInt64(bytes.count))] ^= UInt8(1 << (rng.next() % 8)) }
            default: damaged = (0..<Int(rng.next() % 200)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            }
            var decoder = CompactDecoder()
            do { _ = try decoder.decode(Everything.self, from: damaged[...]) } catch { thrown += 1 }
        }
        #expect(thrown > 1_000)
    }
}
