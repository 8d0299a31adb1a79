/// Decodes what `CompactEncoder` wrote.
///
/// The key names a run of values uses are learnt from the values in their encoded order
/// (`learnKeys`); after that any of them can be decoded, in any order and on any thread, since
/// decoding reads only the immutable name table. Damaged or mismatched bytes throw, never trap.
public struct CompactDecoder: Sendable {
    /// Key names by number.
    public private(set) var keyNames: [String] = []

    public init() {}

    /// Learns the key names `encoded` (one value's bytes) numbered; returns where its value
    /// starts within `encoded`.
    public mutating func learnKeys(_ encoded: ArraySlice<UInt8>) throws -> Int {
        let source = CompactSource(bytes: encoded, keyNames: [])
        var at = encoded.startIndex
        let count = try source.varint(&at)
        guard count <= UInt64(encoded.count) else { throw CompactDecodingError("key count \(count) exceeds the value's \(encoded.count) bytes") }
        for _ in 0..<count {
            let length = try source.length(&at)
            keyNames.append(String(decoding: encoded[at..<(at + length)], as: UTF8.self))
            at += length
        }
        return at
    }

    /// Decodes the value starting at `valueAt` (from `learnKeys`) of `encoded`.
    public func decode<T: Decodable>(_ type: T.Type, from encoded: ArraySlice<UInt8>, valueAt: Int) throws -> T {
        let source = CompactSource(bytes: encoded, keyNames: keyNames)
        let value = try T(from: CompactDecoding(source: source, position: valueAt))
        guard try source.valueEnd(valueAt) == encoded.endIndex else {
            throw CompactDecodingError("bytes left over after the value")
        }
        return value
    }

    /// Learns the value's key names and decodes it: for values taken one by one, in order.
    public mutating func decode<T: Decodable>(_ type: T.Type, from encoded: ArraySlice<UInt8>) throws -> T {
        let valueAt = try learnKeys(encoded)
        return try decode(type, from: encoded, valueAt: valueAt)
    }
}

/// The bytes being decoded and the key names, with bounds-checked reads.
final class CompactSource {
    let bytes: ArraySlice<UInt8>
    let keyNames: [String]

    init(bytes: ArraySlice<UInt8>, keyNames: [String]) {
        self.bytes = bytes
        self.keyNames = keyNames
    }

    func require(_ at: Int, _ count: Int) throws {
        guard count >= 0, at >= bytes.startIndex, at <= bytes.endIndex - count else {
            throw CompactDecodingError("value runs past the end at byte \(at - bytes.startIndex)")
        }
    }

    func byte(_ at: Int) throws -> UInt8 {
        try require(at, 1)
        return bytes[at]
    }

    func varint(_ at: inout Int) throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte(at)
            at += 1
            guard shift < 64 else { throw CompactDecodingError("varint too long at byte \(at - bytes.startIndex)") }
            result |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return result }
            shift += 7
        }
    }

    /// A varint byte count that must fit in what is left.
    func length(_ at: inout Int) throws -> Int {
        let n = try varint(&at)
        guard n <= UInt64(bytes.endIndex - at) else { throw CompactDecodingError("length \(n) runs past the end at byte \(at - bytes.startIndex)") }
        return Int(n)
    }

    func little<T: FixedWidthInteger>(_ at: Int, as: T.Type) throws -> T {
        try require(at, MemoryLayout<T>.size)
        return bytes.withUnsafeBytes { raw in
            T(littleEndian: raw.loadUnaligned(fromByteOffset: at - bytes.startIndex, as: T.self))
        }
    }

    func tag(_ at: Int) throws -> CompactFormat.Tag {
        let raw = try byte(at)
        guard let t = CompactFormat.Tag(rawValue: raw) else { throw CompactDecodingError("unknown tag \(raw) at byte \(at - bytes.startIndex)") }
        return t
    }

    /// Where the value at `at` ends, without decoding it.
    func valueEnd(_ at: Int) throws -> Int {
        var p = at + 1
        switch try tag(at) {
        case .null, .false, .true: break
        case .signed, .unsigned: _ = try varint(&p)
        case .double: p += 8
        case .float: p += 4
        case .string: p += try length(&p)
        case .keyed, .unkeyed: p = at + CompactFormat.containerHeaderSize + Int(try little(at + 5, as: UInt32.self))
        }
        try require(at, p - at)
        return p
    }

    /// The container at `at`: its entry count, where its entries start and where it ends.
    func container(_ at: Int, _ expected: CompactFormat.Tag) throws -> (count: Int, entries: Int, end: Int) {
        let t = try tag(at)
        guard t == expected else { throw CompactDecodingError("expected \(expected) at byte \(at - bytes.startIndex), found \(t)") }
        let count = Int(try little(at + 1, as: UInt32.self))
        return (count, at + CompactFormat.containerHeaderSize, try valueEnd(at))
    }

    func string(_ at: Int) throws -> String {
        var p = at
        let n = try length(&p)
        return String(decoding: bytes[p..<(p + n)], as: UTF8.self)
    }

    func signed(_ at: Int) throws -> Int64 {
        var p = at + 1
        return CompactFormat.unzigzag(try varint(&p))
    }

    func unsigned(_ at: Int) throws -> UInt64 {
        var p = at + 1
        return try varint(&p)
    }

    func integer<T: FixedWidthInteger>(_ at: Int, as type: T.Type) throws -> T {
        let value: T?
        switch try tag(at) {
        case .signed: value = T(exactly: try signed(at))
        case .unsigned: value = T(exactly: try unsigned(at))
        case let t: throw CompactDecodingError("expected an integer at byte \(at - bytes.startIndex), found \(t)")
        }
        guard let value else { throw CompactDecodingError("integer at byte \(at - bytes.startIndex) does not fit \(T.self)") }
        return value
    }

    func floating(_ at: Int) throws -> Double {
        switch try tag(at) {
        case .double: return Double(bitPattern: try little(at + 1, as: UInt64.self))
        case .float: return Double(Float(bitPattern: try little(at + 1, as: UInt32.self)))
        case .signed: return Double(try signed(at))
        case .unsigned: return Double(try unsigned(at))
        case let t: throw CompactDecodingError("expected a number at byte \(at - bytes.startIndex), found \(t)")
        }
    }

    func bool(_ at: Int) throws -> Bool {
        switch try tag(at) {
        case .true: return true
        case .false: return false
        case let t: throw CompactDecodingError("expected a Bool at byte \(at - bytes.startIndex), found \(t)")
        }
    }

    func text(_ at: Int) throws -> String {
        let t = try tag(at)
        guard t == .string else { throw CompactDecodingError("expected a string at byte \(at - bytes.startIndex), found \(t)") }
        return try string(at + 1)
    }
}

/// A value the source reads directly, without `Decodable`'s indirection.
protocol CompactReadable: Decodable {
    static func read(_ source: CompactSource, at: Int) throws -> Self
}

extension Bool: CompactReadable { static func read(_ s: CompactSource, at: Int) throws -> Bool { try s.bool(at) } }
extension String: CompactReadable { static func read(_ s: CompactSource, at: Int) throws -> String { try s.text(at) } }
extension Double: CompactReadable { static func read(_ s: CompactSource, at: Int) throws -> Double { try s.floating(at) } }
extension Float: CompactReadable { static func read(_ s: CompactSource, at: Int) throws -> Float { Float(try s.floating(at)) } }
extension Int: CompactReadable {}
extension Int8: CompactReadable {}
extension Int16: CompactReadable {}
extension Int32: CompactReadable {}
extension Int64: CompactReadable {}
extension UInt: CompactReadable {}
extension UInt8: CompactReadable {}
extension UInt16: CompactReadable {}
extension UInt32: CompactReadable {}
extension UInt64: CompactReadable {}

extension CompactReadable where Self: FixedWidthInteger {
    static func read(_ s: CompactSource, at: Int) throws -> Self { try s.integer(at, as: Self.self) }
}
