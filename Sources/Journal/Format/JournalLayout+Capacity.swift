extension JournalLayout {
    /// The bytes the ring holds: every segment, headers included.
    public var ringBytes: Int { segmentCount * segmentSize }

    /// The bytes a record with a payload of `payload` bytes takes in a segment (header and
    /// alignment included), for budgets made before the journal is opened.
    public static func recordBytes(payload: Int) -> Int { RecordFormat.paddedSize(payload: payload) }
}
