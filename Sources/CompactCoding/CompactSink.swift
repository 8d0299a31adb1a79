/// The growing output of one `CompactEncoder.encode` call, shared by the containers it hands out.
final class CompactSink {
    var bytes: [UInt8] = []
    var keyNumbers: [String: UInt64]
    /// Key names numbered during this value, in number order.
    var newKeys: [String] = []

    init(keyNumbers: [String: UInt64]) {
        self.keyNumbers = keyNumbers
        bytes.reserveCapacity(512)
    }

    func tag(_ t: CompactFormat.Tag) { bytes.append(t.rawValue) }

    func key(_ key: some CodingKey) {
        let name = key.stringValue
        if let n = keyNumbers[name] {
            CompactFormat.appendVarint(n, to: &bytes)
        } else {
            let n = UInt64(keyNumbers.count)
            keyNumbers[name] = n
            newKeys.append(name)
            CompactFormat.appendVarint(n, to: &bytes)
        }
    }

    func string(_ s: String) {
        var s = s
        s.withUTF8 { utf8 in
            CompactFormat.appendVarint(UInt64(utf8.count), to: &bytes)
            bytes.append(contentsOf: utf8)
        }
    }

    func signed(_ v: Int64) {
        tag(.signed)
        CompactFormat.appendVarint(CompactFormat.zigzag(v), to: &bytes)
    }

    func unsigned(_ v: UInt64) {
        tag(.unsigned)
        CompactFormat.appendVarint(v, to: &bytes)
    }

    func little<T: FixedWidthInteger>(_ v: T) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Writes a container header with count and length 0; returns its offset for `entryAdded`.
    func openContainer(_ t: CompactFormat.Tag) -> Int {
        let at = bytes.count
        tag(t)
        little(UInt64(0))
        return at
    }

    /// Counts one more entry in the container at `header` and stretches its length (and its
    /// enclosing containers' in `ancestors`) to the end of the output.
    func entryAdded(header: Int, ancestors: [Int]) {
        bytes.withUnsafeMutableBytes { raw in
            let count = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: header + 1, as: UInt32.self))
            raw.storeBytes(of: (count + 1).littleEndian, toByteOffset: header + 1, as: UInt32.self)
        }
        stretch(header)
        for a in ancestors { stretch(a) }
    }

    func stretch(_ header: Int) {
        let length = UInt32(truncatingIfNeeded: bytes.count - header - CompactFormat.containerHeaderSize)
        bytes.withUnsafeMutableBytes { $0.storeBytes(of: length.littleEndian, toByteOffset: header + 5, as: UInt32.self) }
    }

    /// Encodes a nested value; one that wrote nothing is stored as an empty keyed container, so
    /// every value occupies its own bytes.
    func value<T: Encodable>(_ v: T, ancestors: [Int]) throws {
        let start = bytes.count
        try v.encode(to: CompactEncoding(sink: self, ancestors: ancestors))
        if bytes.count == start { _ = openContainer(.keyed) }
    }
}

/// A value the sink writes directly, without `Encodable`'s indirection.
protocol CompactPrimitive: Encodable {
    func write(to sink: CompactSink)
}

extension Bool: CompactPrimitive { func write(to sink: CompactSink) { sink.tag(self ? .true : .false) } }
extension String: CompactPrimitive {
    func write(to sink: CompactSink) {
        sink.tag(.string)
        sink.string(self)
    }
}
extension Double: CompactPrimitive {
    func write(to sink: CompactSink) {
        sink.tag(.double)
        sink.little(bitPattern)
    }
}
extension Float: CompactPrimitive {
    func write(to sink: CompactSink) {
        sink.tag(.float)
        sink.little(bitPattern)
    }
}
extension Int: CompactPrimitive { func write(to sink: CompactSink) { sink.signed(Int64(self)) } }
extension Int8: CompactPrimitive { func write(to sink: CompactSink) { sink.signed(Int64(self)) } }
extension Int16: CompactPrimitive { func write(to sink: CompactSink) { sink.signed(Int64(self)) } }
extension Int32: CompactPrimitive { func write(to sink: CompactSink) { sink.signed(Int64(self)) } }
extension Int64: CompactPrimitive { func write(to sink: CompactSink) { sink.signed(self) } }
extension UInt: CompactPrimitive { func write(to sink: CompactSink) { sink.unsigned(UInt64(self)) } }
extension UInt8: CompactPrimitive { func write(to sink: CompactSink) { sink.unsigned(UInt64(self)) } }
extension UInt16: CompactPrimitive { func write(to sink: CompactSink) { sink.unsigned(UInt64(self)) } }
extension UInt32: CompactPrimitive { func write(to sink: CompactSink) { sink.unsigned(UInt64(self)) } }
extension UInt64: CompactPrimitive { func write(to sink: CompactSink) { sink.unsigned(self) } }
