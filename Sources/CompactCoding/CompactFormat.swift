/// The compact binary form of a `Codable` value, written by `CompactEncoder` and read by
/// `CompactDecoder`: what `JSONEncoder` writes, without the text. Made for the engine snapshot,
/// where JSON was most of a restart's time at plant scale.
///
/// Every value starts with a tag byte:
///
///     0 nil | 1 false | 2 true | 3 signed integer, zigzag varint | 4 unsigned integer, varint
///     5 Double, 8 bytes | 6 Float, 4 bytes | 7 string, varint length + UTF-8
///     8 keyed container | 9 unkeyed container: u32 count | u32 byte length of the entries
///
/// A keyed entry is a key number (varint) then a value; an unkeyed entry is a value. Key names
/// are numbered in the order an encoder first meets them; each encoded value starts with the
/// names it numbered (varint count, then each as varint length + UTF-8), so a reader that has
/// seen the values before it knows every number. Containers carry their byte length, so a reader
/// can skip any value without reading it: keys may be asked for in any order, or not at all.
/// Integers and floating-point values round-trip exactly (infinities and NaN included).
enum CompactFormat {
    enum Tag: UInt8 {
        case null = 0, `false`, `true`, signed, unsigned, double, float, string, keyed, unkeyed
    }

    /// Tag, count and byte length.
    static let containerHeaderSize = 9

    static func appendVarint(_ value: UInt64, to bytes: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    static func zigzag(_ v: Int64) -> UInt64 { UInt64(bitPattern: (v << 1) ^ (v >> 63)) }
    static func unzigzag(_ v: UInt64) -> Int64 { Int64(bitPattern: v >> 1) ^ -Int64(bitPattern: v & 1) }
}

/// The key of `superEncoder()` and `superDecoder()`.
struct CompactSuperKey: CodingKey {
    var stringValue: String { "super" }
    var intValue: Int? { nil }
    init() {}
    init?(stringValue: String) { if stringValue != "super" { return nil } }
    init?(intValue: Int) { nil }
}

/// Why compact bytes could not be decoded (damage, or a value of another shape).
public struct CompactDecodingError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
