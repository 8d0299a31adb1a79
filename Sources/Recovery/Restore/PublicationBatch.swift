/// The journal form of several publications in one record: a turn's output written as one
/// record instead of one each, since every record costs a 32-byte header and its padding, more
/// than a compact publication itself, and flash wears by the byte. A `latest/` copy of the
/// `cleaned/` message before it (the common pair) takes three bytes instead of a second copy.
///
/// Layout: the marker byte, the number of publications (u16, little-endian), then each as `varint length | its single-record form`
/// (`JournalRecords.appendPublication`), or as `0 | two bytes`: the entry before it with its first
/// two bytes (kind and retain) replaced by these. A record is read whole or not at all: every
/// entry must decode, and the bytes must end with the last of the number it states.
///
/// Every publication of a batch is acknowledged under the record's journal seq, so a restart
/// sends again the whole of a batch the broker acknowledged in part: identical content, as after
/// any crash (CONTRACT.md, section 2).
enum PublicationBatch {
    /// Marks a batch in the first byte: below `CompactPublication.marker` and no `Publication.Kind`.
    static let marker: UInt8 = 0x7E
    /// Bit 15 of a batch record's flags; bit k is set when it holds a publication of kind k.
    static let flagsMarker: UInt16 = 0x8000
    /// Most publications one record holds, so a record stays small next to the ring's segments
    /// and one too many for a full journal costs little.
    static let maxCount = 256

    /// Appends to `out` a batch of `ps`' first publications, as many as keep it within `maxBytes`
    /// (and `maxCount`), at least one; returns how many it took and the record's flags.
    static func append(_ ps: ArraySlice<Publication>, maxBytes: Int, to out: inout [UInt8]) -> (taken: Int, flags: UInt16) {
        let start = out.count
        out.append(marker)
        out.append(contentsOf: [0, 0])  // the count, once known
        var taken = 0
        var flags = flagsMarker
        var previous: [UInt8] = []
        var single: [UInt8] = []
        // Where the last entry taken began, the flags before it, and its kind.
        var last = (start: out.count, flags: flags, kind: Publication.Kind?.none)
        for p in ps.prefix(maxCount) {
            single.removeAll(keepingCapacity: true)
            JournalRecords.appendPublication(p, to: &single)
            let copiesPrevious = Self.copiesPrevious(single, previous)
            let entryBytes = copiesPrevious ? 3 : varintSize(single.count) + single.count
            if taken > 0 && out.count - start + entryBytes > maxBytes { break }
            last = (out.count, flags, p.kind)
            if copiesPrevious {
                out.append(0)
                out.append(single[0])
                out.append(single[1])
            } else {
                CompactPublication.varint(UInt64(single.count), &out)
                out.append(contentsOf: single)
            }
            swap(&previous, &single)
            flags |= 1 << UInt16(p.kind.rawValue)
            taken += 1
        }
        // A reading's `latest/` copy goes in the record of its `cleaned/` message, which follows
        // it: split over two records, the copy could be sent and acknowledged before a kill left
        // the message unjournaled, and the restart, taking the broker's `latest/` for what went
        // out, withheld the message made again: a seq consumers never got (found by the fault
        // simulator, measurement worlds seed 1,500,003: humidity seq 237 skipped).
        if taken > 1, taken < ps.count, last.kind == .latest, ps[ps.startIndex + taken].kind == .cleaned {
            out.removeSubrange(last.start...)
            flags = last.flags
            taken -= 1
        }
        out[start + 1] = UInt8(taken & 0xFF)
        out[start + 2] = UInt8(taken >> 8)
        return (taken, flags)
    }

    /// The publications a batch holds, in order, or nil when the bytes are not one whole batch.
    static func decode(_ bytes: [UInt8]) -> [Publication]? {
        guard bytes.count >= 3, bytes[0] == marker else { return nil }
        let count = Int(bytes[1]) | Int(bytes[2]) << 8
        var out: [Publication] = []
        out.reserveCapacity(min(count, bytes.count / 3))
        var cursor = CompactPublication.Cursor(bytes: bytes, at: 3)
        var previous: [UInt8] = []
        for _ in 0..<count {
            guard let length = cursor.varint() else { return nil }
            var entry: [UInt8]
            if length == 0 {
                guard previous.count >= 2, let kind = cursor.byte(), let retain = cursor.byte() else { return nil }
                entry = previous
                entry[0] = kind
                entry[1] = retain
            } else {
                guard let whole = cursor.take(length) else { return nil }
                entry = whole
            }
            guard let p = JournalRecords.decodePublication(entry) else { return nil }
            out.append(p)
            previous = entry
        }
        return cursor.atEnd && count > 0 ? out : nil
    }

    /// Whether a record's `flags` say it may hold a publication of `kind`: a batch's by its bits,
    /// a single publication's (written before batches) by its kind.
    static func mayHold(_ kind: Publication.Kind, flags: UInt16) -> Bool {
        flags & flagsMarker != 0 ? flags & (1 << UInt16(kind.rawValue)) != 0 : flags == UInt16(kind.rawValue)
    }

    /// A compact entry that differs from the one before only in its kind and retain bytes.
    private static func copiesPrevious(_ single: [UInt8], _ previous: [UInt8]) -> Bool {
        guard single.count == previous.count, single.count > 2, single[0] & CompactPublication.marker != 0,
            previous[0] & CompactPublication.marker != 0
        else { return false }
        return single[2...] == previous[2...]
    }

    private static func varintSize(_ v: Int) -> Int {
        var n = 1
        var v = v >> 7
        while v > 0 {
            n += 1
            v >>= 7
        }
        return n
    }
}
