/// The segment files of a journal directory, opened, with their headers, oldest first.
/// Shared by the writer's recovery, readers and `journal verify`.
///
/// What is wrong with a file is judged the same way whether the set is opened to repair
/// (the writer) or only to read (readers, `journal verify`), and described in the same words:
/// what was found and what opening does about it. Only the writer then does it. No file holding
/// data is ever recreated over that data: a damaged or odd-sized segment keeps the records that
/// verify, and a copy of the file as it was is kept beside it (`segment-NNNN.log.damaged-N`).
struct SegmentSet {
    struct Entry {
        var index: Int
        var handle: Int32
        var header: SegmentHeader
    }

    let layout: JournalLayout
    let fileSystem: FileSystem
    /// Handles by file index (every segment file, used or not; -1 when not open).
    var handles: [Int32] = []
    /// Used segments ordered by generation (oldest first).
    var used: [Entry] = []
    /// What was wrong with the files where no data was at stake (missing, empty, extra).
    var problems: [String] = []
    /// Files that held data and were damaged, and what opening does about them.
    var damage: [String] = []
    /// Copies of damaged files kept aside (the writer's), or that opening would keep (a reader's).
    var setAside: [String] = []
    /// Indices of segment files whose records are gone with the file: missing, empty, or
    /// unusable and moved aside (not in a new journal). Any of them may have held the newest
    /// records, whose seqs must not be handed out again.
    var lostFiles: Set<Int> = []
    private let repair: Bool
    /// A new journal: its segments are created, not found missing, so that is no problem.
    private let creating: Bool

    /// Opens every segment. With `repair`, what is wrong is also put right (see the type's
    /// comment); without it, only reported. `creating` says the journal is new (no files yet).
    init(layout: JournalLayout, fileSystem: FileSystem, repair: Bool, creating: Bool = false) throws {
        self.layout = layout
        self.fileSystem = fileSystem
        self.repair = repair
        self.creating = creating
        let names = try fileSystem.list(layout.directory)
        for name in names where name.hasPrefix("segment-") && !name.contains(".damaged-") && !name.hasSuffix(".tmp") {
            if let i = JournalLayout.segmentIndex(ofName: name), i < layout.segmentCount, name == JournalLayout.segmentName(i) { continue }
            problems.append("unexpected file \(name) ignored")
        }
        var damagedHeaders: [(index: Int, raw: [UInt8])] = []
        for i in 0..<layout.segmentCount {
            let (handle, raw) = try openSegment(i)
            handles.append(handle)
            guard handle >= 0 else { continue }
            if let header = SegmentHeader.decode(raw), header.generation > 0, header.segmentSize == UInt64(layout.segmentSize) {
                used.append(Entry(index: i, handle: handle, header: header))
            } else if !raw.allSatisfy({ $0 == 0 }) {
                damagedHeaders.append((i, raw))
            }
        }
        // A damaged header is rebuilt from the records it heads: their checksums are seeded with
        // the segment's generation, and generations are consecutive around the ring.
        let known = Set(used.map(\.header.generation))
        for (i, raw) in damagedHeaders {
            try rebuildHeader(i, raw: raw, knownGenerations: known)
        }
        if repair {
            try fileSystem.syncDirectory(layout.directory)
        }
        used.sort { $0.header.generation < $1.header.generation }
    }

    /// Opens segment `i`, first putting right (or, reading, describing) a file that is missing,
    /// not a usable file, or of the wrong size. Returns the handle (-1 when a reader has none)
    /// and the file's first `SegmentHeader.size` bytes.
    private mutating func openSegment(_ i: Int) throws -> (Int32, [UInt8]) {
        let path = layout.segmentPath(i)
        let name = JournalLayout.segmentName(i)
        if !fileSystem.exists(path) {
            if !creating {
                problems.append("segment file \(name) is missing; opening creates it")
                lostFiles.insert(i)
            }
            guard repair else { return (-1, []) }
            let h = try fileSystem.open(path, create: true)
            try fileSystem.allocate(h, size: layout.segmentSize)
            return (h, [UInt8](repeating: 0, count: SegmentHeader.size))
        }
        var handle: Int32 = -1
        var size = 0
        var raw: [UInt8] = []
        do {
            handle = repair ? try fileSystem.open(path, create: false) : try fileSystem.openForReading(path)
            size = try fileSystem.size(handle)
            raw = try fileSystem.read(handle, count: SegmentHeader.size, at: 0)
        } catch let error as FileSystemError {
            // A directory, or a file that cannot be opened or read: nothing in it can be used. It
            // is moved aside (kept, not deleted) and a new segment takes its place.
            if handle >= 0 { fileSystem.close(handle) }
            let aside = try asideName(for: path)
            damage.append(
                "segment file \(name) cannot be used (\(error.message)); opening moves it aside to \(lastComponent(aside)) and creates a new one")
            setAside.append(aside)
            lostFiles.insert(i)
            guard repair else { return (-1, []) }
            do {
                try fileSystem.rename(path, to: aside)
                try fileSystem.syncDirectory(layout.directory)
            } catch let e as FileSystemError {
                throw JournalError.invalidConfiguration(
                    "segment file \(path) cannot be used (\(error.message)) and could not be moved aside (\(e.message)); move it aside by hand, then run `sensor-gateway journal verify`"
                )
            }
            let h = try fileSystem.open(path, create: true)
            try fileSystem.allocate(h, size: layout.segmentSize)
            return (h, [UInt8](repeating: 0, count: SegmentHeader.size))
        }
        if size != layout.segmentSize {
            if size == 0 {
                problems.append("segment file \(name) has 0 bytes; opening allocates it")
                if !creating { lostFiles.insert(i) }
            } else {
                // Never recreated over its data: the records that verify in its first segmentSize
                // bytes are kept, and so is a copy of the file as found.
                let aside = try asideName(for: path)
                damage.append(
                    "segment file \(name) has \(size) bytes, expected \(layout.segmentSize): opening keeps the records that verify in its first \(min(size, layout.segmentSize)) bytes, "
                        + (size > layout.segmentSize ? "sets the \(size - layout.segmentSize) bytes beyond aside" : "extends it with zeros")
                        + " and keeps a copy as found in \(lastComponent(aside))")
                setAside.append(aside)
                if repair { try copy(handle, size: size, to: aside) }
            }
            if repair {
                if size > layout.segmentSize {
                    try fileSystem.truncate(handle, size: layout.segmentSize)
                } else {
                    try fileSystem.allocate(handle, size: layout.segmentSize)
                }
                try fileSystem.sync(handle)
            }
        }
        if raw.count < SegmentHeader.size { raw += [UInt8](repeating: 0, count: SegmentHeader.size - raw.count) }
        return (handle, raw)
    }

    /// Rebuilds a header that fails its checksum from the first record that verifies with a
    /// candidate generation (the one it claims, ones next to the other segments', and the one it
    /// claims with a bit flipped). Without one, the file's contents cannot be read: it is kept
    /// aside and the segment reused.
    private mutating func rebuildHeader(_ i: Int, raw: [UInt8], knownGenerations: Set<UInt64>) throws {
        let name = JournalLayout.segmentName(i)
        let handle = handles[i]
        let aside = try asideName(for: layout.segmentPath(i))
        let claimed = raw.withUnsafeBytes { r in
            (
                generation: UInt64(littleEndian: r.loadUnaligned(fromByteOffset: 8, as: UInt64.self)),
                baseSeq: UInt64(littleEndian: r.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
            )
        }
        var candidates: [UInt64] = [claimed.generation]
        for g in knownGenerations.sorted() {
            for d in 1...UInt64(layout.segmentCount) { candidates += [g &+ d, g &- d] }
        }
        candidates += (0..<64).map { claimed.generation ^ (1 << UInt64($0)) }
        var seen = Set<UInt64>()
        candidates = candidates.filter { $0 > 0 && !knownGenerations.contains($0) && seen.insert($0).inserted }
        let probe = SegmentScanner(
            fileSystem: fileSystem, handle: handle, header: SegmentHeader(generation: 0, baseSeq: 0, segmentSize: UInt64(layout.segmentSize)),
            segmentSize: layout.segmentSize)
        if let (generation, offset, seq) = try probe.firstRecord(generations: candidates) {
            // Records before the first that verifies are lost; the scan reports them from baseSeq.
            let baseSeq =
                offset == SegmentHeader.size ? seq : (claimed.baseSeq <= seq && seq - claimed.baseSeq < UInt64(layout.segmentSize / 32) ? claimed.baseSeq : seq)
            let header = SegmentHeader(generation: generation, baseSeq: baseSeq, segmentSize: UInt64(layout.segmentSize))
            damage.append(
                "segment file \(name) has a damaged header; rebuilt from its records (generation \(generation), first seq \(baseSeq)): opening rewrites it and keeps a copy as found in \(lastComponent(aside))"
            )
            setAside.append(aside)
            if repair {
                try copy(handle, size: try fileSystem.size(handle), to: aside)
                try fileSystem.write(handle, bytes: header.encode(), at: 0)
                try fileSystem.sync(handle)
            }
            used.append(Entry(index: i, handle: handle, header: header))
        } else {
            damage.append(
                "segment file \(name) has a damaged header and no record that verifies: its contents cannot be read; opening keeps a copy as found in \(lastComponent(aside)) and reuses the file"
            )
            setAside.append(aside)
            if repair {
                try copy(handle, size: try fileSystem.size(handle), to: aside)
                try fileSystem.write(handle, bytes: [UInt8](repeating: 0, count: SegmentHeader.size), at: 0)
                try fileSystem.sync(handle)
            }
        }
    }

    /// `path.damaged-N` with the first N not yet taken (also by names already promised in this
    /// opening), so evidence is never overwritten.
    func scanner(_ e: Entry) -> SegmentScanner {
        SegmentScanner(fileSystem: fileSystem, handle: e.handle, header: e.header, segmentSize: layout.segmentSize)
    }

    func closeAll() {
        for h in handles where h >= 0 { fileSystem.close(h) }
    }
}
