// Over 250 lines: one hot-path state machine over one buffer; split, the grammar would be spread
// over files with no smaller part that owns anything on its own.

/// A small, allocation-light reader of one flat JSON object: the shape of a sensor reading.
///
/// Reading payloads arrive at hundreds of thousands per second, so this scans bytes once and
/// hands each member to a visitor instead of building a document. Nested values of unknown
/// members are validated and skipped without recursion, so hostile nesting cannot exhaust
/// the stack. Any syntax error makes the whole payload malformed.
struct JSONScanner {
    enum Value {
        /// The raw bytes between the quotes, borrowed from the payload (valid during the visit).
        case string(UnsafeBufferPointer<UInt8>, hasEscapes: Bool)
        case number(JSONNumber)
        case bool(Bool)
        case null
        case object
        case array
    }

    struct Malformed: Error {}

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    private var started = false
    private var finished = false
    /// Whether the key `nextMember` returned last was written with escapes (`"s\u0065q"`): its
    /// bytes are then not its name (`decodeString` gives the name).
    private(set) var lastKeyHadEscapes = false

    /// The next member of the top-level object, or nil after the last one (when the object and
    /// the text end properly). Throws `Malformed` when the text is not exactly one JSON object.
    mutating func nextMember() throws -> (key: UnsafeBufferPointer<UInt8>, value: Value)? {
        if finished { return nil }
        if !started {
            started = true
            skipWhitespace()
            try expect(UInt8(ascii: "{"))
            skipWhitespace()
            if peek() == UInt8(ascii: "}") {
                index += 1
                return try end()
            }
        } else {
            skipWhitespace()
            guard let c = next() else { throw Malformed() }
            if c == UInt8(ascii: "}") { return try end() }
            if c != UInt8(ascii: ",") { throw Malformed() }
        }
        skipWhitespace()
        let keyRange = try scanStringRange()
        lastKeyHadEscapes = keyRange.hasEscapes
        skipWhitespace()
        try expect(UInt8(ascii: ":"))
        skipWhitespace()
        let value = try scanValue()
        return (UnsafeBufferPointer(rebasing: bytes[keyRange.range]), value)
    }

    private mutating func end() throws -> (key: UnsafeBufferPointer<UInt8>, value: Value)? {
        finished = true
        skipWhitespace()
        if index != bytes.count { throw Malformed() }
        return nil
    }

    private func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func next() -> UInt8? {
        guard index < bytes.count else { return nil }
        defer { index += 1 }
        return bytes[index]
    }

    private mutating func expect(_ c: UInt8) throws {
        guard next() == c else { throw Malformed() }
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    /// Scans a string token; returns the range of its raw contents (between the quotes).
    private mutating func scanStringRange() throws -> (range: Range<Int>, hasEscapes: Bool) {
        try expect(UInt8(ascii: "\""))
        let start = index
        var escapes = false
        while let c = next() {
            switch c {
            case UInt8(ascii: "\""):
                return (start..<(index - 1), escapes)
            case UInt8(ascii: "\\"):
                escapes = true
                guard let e = next() else { throw Malformed() }
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                    UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    break
                case UInt8(ascii: "u"):
                    for _ in 0..<4 {
                        guard let h = next(), JSONScanner.hexValue(h) != nil else { throw Malformed() }
                    }
                default:
                    throw Malformed()
                }
            case 0..<0x20:
                throw Malformed()
            default:
                break
            }
        }
        throw Malformed()
    }

    private mutating func scanValue() throws -> Value {
        guard let c = peek() else { throw Malformed() }
        switch c {
        case UInt8(ascii: "\""):
            let (range, escapes) = try scanStringRange()
            return .string(UnsafeBufferPointer(rebasing: bytes[range]), hasEscapes: escapes)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            try skipContainer()
            return c == UInt8(ascii: "{") ? .object : .array
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return .null
        default:
            return .number(try scanNumber())
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw Malformed() }
        for i in 0..<count where bytes[index + i] != literal.utf8Start[i] { throw Malformed() }
        index += count
    }

    /// Skips a nested object or array, checking its syntax with an explicit stack of brackets.
    private mutating func skipContainer() throws {
        var stack: [UInt8] = []
        repeat {
            skipWhitespace()
            guard let c = peek() else { throw Malformed() }
            switch c {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                stack.append(c)
                index += 1
                skipWhitespace()
                if peek() == (c == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    index += 1
                    stack.removeLast()
                    try afterValue(&stack)
                    continue
                }
                if c == UInt8(ascii: "{") { try memberKey() }
            default:
                guard !stack.isEmpty else { throw Malformed() }
                switch c {
                case UInt8(ascii: "\""): _ = try scanStringRange()
                case UInt8(ascii: "t"): try expectLiteral("true")
                case UInt8(ascii: "f"): try expectLiteral("false")
                case UInt8(ascii: "n"): try expectLiteral("null")
                default: _ = try scanNumber()
                }
                try afterValue(&stack)
            }
        } while !stack.isEmpty
    }

    private mutating func memberKey() throws {
        skipWhitespace()
        _ = try scanStringRange()
        skipWhitespace()
        try expect(UInt8(ascii: ":"))
    }

    /// After a value inside a container: a comma (then maybe a key) or the closing bracket(s).
    private mutating func afterValue(_ stack: inout [UInt8]) throws {
        while let open = stack.last {
            skipWhitespace()
            guard let c = next() else { throw Malformed() }
            if c == UInt8(ascii: ",") {
                if open == UInt8(ascii: "{") { try memberKey() }
                return
            }
            let close = open == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
            guard c == close else { throw Malformed() }
            stack.removeLast()
        }
    }

    @inline(__always)
    private mutating func scanNumber() throws -> JSONNumber {
        let (number, end) = try JSONScanner.scanNumber(bytes, from: index)
        index = end
        return number
    }

    /// The JSON number starting at `start` of `bytes`, and the index after it. Static, its
    /// state local: a scanner made for one number (as `number(_:)` makes for each CSV column)
    /// and read back at once by a mutating method cost a store-forwarding stall per call.
    private static func scanNumber(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) throws(Malformed) -> (JSONNumber, Int) {
        var index = start
        func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }
        var negative = false
        if peek() == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        var mantissa: UInt64 = 0
        var overflow = false
        var fractionDigits = 0
        var isInteger = true
        guard let first = peek(), first >= 0x30, first <= 0x39 else { throw Malformed() }
        if first == 0x30 {
            index += 1
        } else {
            while let d = peek(), d >= 0x30, d <= 0x39 {
                let (m1, o1) = mantissa.multipliedReportingOverflow(by: 10)
                let (m2, o2) = m1.addingReportingOverflow(UInt64(d - 0x30))
                if o1 || o2 { overflow = true } else { mantissa = m2 }
                index += 1
            }
        }
        if peek() == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            guard let d = peek(), d >= 0x30, d <= 0x39 else { throw Malformed() }
            while let d = peek(), d >= 0x30, d <= 0x39 {
                let (m1, o1) = mantissa.multipliedReportingOverflow(by: 10)
                let (m2, o2) = m1.addingReportingOverflow(UInt64(d - 0x30))
                if o1 || o2 { overflow = true } else { mantissa = m2; fractionDigits += 1 }
                index += 1
            }
        }
        var hasExponent = false
        if let e = peek(), e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            hasExponent = true
            isInteger = false
            index += 1
            if let s = peek(), s == UInt8(ascii: "+") || s == UInt8(ascii: "-") { index += 1 }
            guard let d = peek(), d >= 0x30, d <= 0x39 else { throw Malformed() }
            while let d = peek(), d >= 0x30, d <= 0x39 { index += 1 }
        }
        let value: Double
        // Exact fast path: a mantissa below 2^53 divided by an exact power of ten is correctly rounded.
        if !overflow && !hasExponent && mantissa < (1 << 53) && fractionDigits <= 22 {
            let magnitude = Double(mantissa) / JSONScanner.powersOfTen[fractionDigits]
            value = negative ? -magnitude : magnitude
        } else {
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
            value = Double(text) ?? .nan
        }
        let integer: Int64? =
            (isInteger && !overflow && mantissa <= UInt64(Int64.max))
            ? (negative ? -Int64(mantissa) : Int64(mantissa)) : nil
        return (JSONNumber(value: value, integer: integer, isIntegerLiteral: isInteger), index)
    }

    /// `bytes` read as exactly one JSON number, nothing before or after it; nil otherwise. CSV
    /// columns take their numbers in JSON's grammar, so a value reads the same in either form.
    static func number(_ bytes: UnsafeBufferPointer<UInt8>) -> JSONNumber? {
        guard let (n, end) = try? scanNumber(bytes, from: 0), end == bytes.count else { return nil }
        return n
    }

    static let powersOfTen: [Double] = (0...22).map { p in (0..<p).reduce(1.0) { r, _ in r * 10 } }

    static func hexValue(_ c: UInt8) -> UInt32? {
        switch c {
        case 0x30...0x39: UInt32(c - 0x30)
        case 0x41...0x46: UInt32(c - 0x41 + 10)
        case 0x61...0x66: UInt32(c - 0x61 + 10)
        default: nil
        }
    }

    /// Decodes a string token's raw contents (escapes resolved); nil if it is not valid text.
    static func decodeString(_ borrowed: UnsafeBufferPointer<UInt8>, hasEscapes: Bool) -> String? {
        let raw = Array(borrowed)[...]
        guard hasEscapes else { return String(validating: raw, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var i = raw.startIndex
        func hex4(_ at: Int) -> UInt32 {
            (0..<4).reduce(UInt32(0)) { $0 << 4 | (hexValue(raw[at + $1]) ?? 0) }
        }
        while i < raw.endIndex {
            let c = raw[i]
            guard c == UInt8(ascii: "\\") else { out.append(c); i += 1; continue }
            let e = raw[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = hex4(i)
                i += 4
                if (0xD800..<0xDC00).contains(scalar), i + 6 <= raw.endIndex,
                    raw[i] == UInt8(ascii: "\\"), raw[i + 1] == UInt8(ascii: "u")
                {
                    let low = hex4(i + 2)
                    if (0xDC00..<0xE000).contains(low) {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        i += 6
                    }
                }
                guard let s = Unicode.Scalar(scalar) else { return nil }
                out.append(contentsOf: Array(String(Character(s)).utf8))
            default: out.append(e)
            }
        }
        return String(validating: out, as: UTF8.self)
    }
}

/// A JSON number: its double value and, when it was written as an integer that fits, that integer.
struct JSONNumber {
    var value: Double
    var integer: Int64?
    var isIntegerLiteral: Bool
}
