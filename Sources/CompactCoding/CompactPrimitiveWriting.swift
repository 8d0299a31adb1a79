/// A container that writes every primitive value the same way, whatever its type: the unkeyed
/// and single-value writers, whose protocols ask for one method per primitive type.
protocol CompactPrimitiveWriting {
    /// Writes `v` as the container's next value.
    mutating func put(_ v: some CompactPrimitive)
}

/// nil, as a value the sink writes directly.
struct CompactNull: CompactPrimitive {
    func write(to sink: CompactSink) { sink.tag(.null) }
    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encodeNil()
    }
}

extension CompactPrimitiveWriting {
    mutating func encodeNil() throws { put(CompactNull()) }
    mutating func encode(_ v: Bool) throws { put(v) }
    mutating func encode(_ v: String) throws { put(v) }
    mutating func encode(_ v: Double) throws { put(v) }
    mutating func encode(_ v: Float) throws { put(v) }
    mutating func encode(_ v: Int) throws { put(v) }
    mutating func encode(_ v: Int8) throws { put(v) }
    mutating func encode(_ v: Int16) throws { put(v) }
    mutating func encode(_ v: Int32) throws { put(v) }
    mutating func encode(_ v: Int64) throws { put(v) }
    mutating func encode(_ v: UInt) throws { put(v) }
    mutating func encode(_ v: UInt8) throws { put(v) }
    mutating func encode(_ v: UInt16) throws { put(v) }
    mutating func encode(_ v: UInt32) throws { put(v) }
    mutating func encode(_ v: UInt64) throws { put(v) }
}
