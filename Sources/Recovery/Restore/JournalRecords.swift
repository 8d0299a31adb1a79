import Wire

/// The journal payloads of the gateway's records: a message taken from the broker
/// (`topic length u16 LE | topic | payload`) and publications: a turn's in one record
/// (`PublicationBatch`), each there as `kind u8 | retain u8 | message`, or for a released reading
/// `kind | 0x80`, `retain` and the reading (`CompactPublication`). Journals written before batches
/// hold one publication a record, in that single form; both are read.
/// Here, beside the restore, so the gateway and the fault simulator write and read one format.
///
/// The `append` forms add to a buffer the caller reuses, so journaling a reading and its
/// publication allocates nothing per record on the hot path.
public enum JournalRecords {
    /// Appends a message's record payload to `out` (a topic over 65,535 bytes is cut there).
    public static func appendMessage(topic: String, payload: [UInt8], to out: inout [UInt8]) {
        let topicBytes = topic.utf8.count
        let length = min(topicBytes, 65535)
        out.reserveCapacity(out.count + 2 + length + payload.count)
        out.append(UInt8(length & 0xFF))
        out.append(UInt8(length >> 8))
        if length == topicBytes {
            out.append(contentsOf: topic.utf8)
        } else {
            out.append(contentsOf: topic.utf8.prefix(length))
        }
        out.append(contentsOf: payload)
    }

    public static func decodeMessage(_ bytes: ArraySlice<UInt8>) -> (topic: String, payload: ArraySlice<UInt8>)? {
        guard bytes.count >= 2 else { return nil }
        let start = bytes.startIndex
        let n = Int(bytes[start]) | Int(bytes[start + 1]) << 8
        guard bytes.count >= 2 + n else { return nil }
        return (String(decoding: bytes[(start + 2)..<(start + 2 + n)], as: UTF8.self), bytes[(start + 2 + n)...])
    }

    public static func encodePublication(_ p: Publication) -> [UInt8] {
        var out: [UInt8] = []
        appendPublication(p, to: &out)
        return out
    }

    /// Appends a publication's record payload to `out`: a released reading's message in the
    /// compact form (`CompactPublication`), any other as its kind, retain flag and message.
    public static func appendPublication(_ p: Publication, to out: inout [UInt8]) {
        if CompactPublication.append(p, to: &out) { return }
        out.append(p.kind.rawValue)
        out.append(p.retain ? 1 : 0)
        appendMessage(topic: p.topic, payload: p.payload, to: &out)
    }

    /// The most bytes of publications one record holds in a journal of segments of `segmentSize`
    /// (a single larger one takes a record of its own): a turn's output at 1,000 readings a
    /// second, 16 KiB, or a 32nd of a segment when that is less (at least 1 KiB), since a record
    /// that does not fit a segment's end leaves that room unused.
    public static func publicationBatchBytes(segmentSize: Int, maxRecordPayload: Int) -> Int {
        min(maxRecordPayload, max(1024, min(16 * 1024, segmentSize / 32)))
    }

    /// Appends a publication record's payload for the first of `ps` (at least one, as many as
    /// keep it within `maxBytes`) to `out`: returns how many it holds and the record's flags.
    public static func appendPublicationBatch(_ ps: ArraySlice<Publication>, maxBytes: Int, to out: inout [UInt8]) -> (taken: Int, flags: UInt16) {
        PublicationBatch.append(ps, maxBytes: maxBytes, to: &out)
    }

    /// The publications a publication record holds, in order (one for a record written before
    /// batches), or nil when its bytes are not a whole record of either form.
    public static func decodePublications(_ bytes: [UInt8]) -> [Publication]? {
        if bytes.first == PublicationBatch.marker { return PublicationBatch.decode(bytes) }
        return decodePublication(bytes).map { [$0] }
    }

    /// Whether a publication record with these `flags` may hold one of `kind` (so a reader after
    /// one kind decodes no other record).
    public static func publicationRecord(flags: UInt16, mayHold kind: Publication.Kind) -> Bool {
        PublicationBatch.mayHold(kind, flags: flags)
    }

    /// One publication in the single form (as journaled before batches, and as each batch entry).
    public static func decodePublication(_ bytes: [UInt8]) -> Publication? {
        if let first = bytes.first, first & CompactPublication.marker != 0 { return CompactPublication.decode(bytes) }
        guard bytes.count >= 4, let kind = Publication.Kind(rawValue: bytes[0]),
            let (topic, payload) = decodeMessage(bytes[2...])
        else { return nil }
        return Publication(kind: kind, topic: topic, payload: Array(payload), retain: bytes[1] == 1)
    }

    /// A configuration record's payload (off the hot path: once per reload).
    /// A tick's payload: empty, or one byte when the input connection's state changed with it
    /// (1: listening again, 0: down). Older gateways journaled every tick empty.
    public static func encodeTick(listening: Bool?) -> [UInt8] { listening.map { [$0 ? 1 : 0] } ?? [] }

    /// The state a tick's payload carries (nil: unchanged, or a byte this version does not know).
    public static func decodeTick(_ bytes: [UInt8]) -> Bool? {
        guard bytes.count == 1, bytes[0] <= 1 else { return nil }
        return bytes[0] == 1
    }

    public static func encodeConfiguration(_ c: EngineConfiguration) -> [UInt8] { (try? WireJSON.encode(c)) ?? [] }

    public static func decodeConfiguration(_ bytes: [UInt8]) -> EngineConfiguration? { try? WireJSON.decode(EngineConfiguration.self, from: bytes) }
}
