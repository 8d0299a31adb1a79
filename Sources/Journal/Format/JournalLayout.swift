/// Where a journal's files live and how big they are. The geometry is fixed when the journal is
/// created (recorded in `journal.meta`); reopening with another size is refused with a clear
/// error rather than silently discarding data.
public struct JournalLayout: Sendable, Equatable {
    public var directory: String
    public var segmentCount: Int
    public var segmentSize: Int

    public static let minimumSegmentSize = 4096
    /// Bounds on what a layout may be, whether configured or read from `journal.meta`: anything
    /// outside them is refused with an error, never allocated (a damaged meta file once asked for
    /// billions of segments).
    public static let maximumSegmentCount = 4096
    public static let maximumSegmentSize = 1 << 30
    /// `journal.meta` is a few dozen bytes; a larger file is not read whole.
    static let maximumMetaBytes = 4096

    /// Splits `maxBytes` into `segmentCount` equal segments (a multiple of 4 KiB each).
    public init(directory: String, maxBytes: Int, segmentCount: Int = 16) throws {
        guard segmentCount >= 2, segmentCount <= JournalLayout.maximumSegmentCount else {
            throw JournalError.invalidConfiguration(
                "a journal has 2...\(JournalLayout.maximumSegmentCount) segments, not \(segmentCount)")
        }
        let size = (max(maxBytes, 0) / segmentCount) & ~4095
        guard size >= JournalLayout.minimumSegmentSize else {
            throw JournalError.invalidConfiguration(
                "journal-max-bytes \(maxBytes) is too small for \(segmentCount) segments of at least \(JournalLayout.minimumSegmentSize) bytes")
        }
        guard size <= JournalLayout.maximumSegmentSize else {
            throw JournalError.invalidConfiguration(
                "journal-max-bytes \(maxBytes) gives segments of \(size) bytes; at most \(JournalLayout.maximumSegmentSize) each (\(segmentCount) segments)")
        }
        self.directory = directory
        self.segmentCount = segmentCount
        segmentSize = size
    }

    init(directory: String, segmentCount: Int, segmentSize: Int) {
        self.directory = directory
        self.segmentCount = segmentCount
        self.segmentSize = segmentSize
    }

    func segmentPath(_ i: Int) -> String {
        "\(directory)/\(JournalLayout.segmentName(i))"
    }

    static func segmentName(_ i: Int) -> String {
        let n = String(i)
        return "segment-\(String(repeating: "0", count: max(0, 4 - n.count)))\(n).log"
    }

    /// The index a segment file name stands for (`segment-0012.log` -> 12), nil for other names.
    static func segmentIndex(ofName name: String) -> Int? {
        guard name.hasPrefix("segment-"), name.hasSuffix(".log") else { return nil }
        let digits = name.dropFirst(8).dropLast(4)
        guard digits.count >= 4, digits.count <= 6, digits.allSatisfy({ $0 >= "0" && $0 <= "9" }) else { return nil }
        return Int(digits)
    }

    /// The largest payload one record can carry in this layout.
    public var maxRecordPayload: Int { RecordFormat.maxPayload(segmentSize: segmentSize) }

    /// The file that records the journal's geometry (written once, when the journal is made).
    public var metaPath: String { "\(directory)/journal.meta" }
    /// The file of acknowledged positions (two alternating checksummed slots).
    public var checkpointPath: String { "\(directory)/checkpoint" }
    var lockPath: String { "\(directory)/lock" }

    /// The arguments that point `sensor-gateway journal verify` at this journal, for messages.
    var verifyArguments: String {
        directory.hasSuffix("/journal") ? " --data-dir \(directory.dropLast(8))" : ""
    }

    var metaText: String { "segments=\(segmentCount)\nsegment_size=\(segmentSize)\n" }

    /// Whether a count and size read from disk are ones this code could have written.
    static func plausible(segmentCount: Int, segmentSize: Int) -> Bool {
        (2...maximumSegmentCount).contains(segmentCount) && (minimumSegmentSize...maximumSegmentSize).contains(segmentSize)
            && segmentSize % 4096 == 0
    }

    /// What `journal.meta` holds.
    enum Meta: Equatable {
        case missing
        case valid(JournalLayout)
        /// Present but not usable: why.
        case unreadable(String)
    }

    /// Reads `journal.meta` with every value bounded: a damaged file gives `.unreadable` with the
    /// reason, never a trap or a huge allocation.
    static func readMeta(in directory: String, fileSystem: FileSystem) -> Meta {
        let path = "\(directory)/journal.meta"
        guard fileSystem.exists(path) else { return .missing }
        let bytes: [UInt8]
        do {
            let h = try fileSystem.openForReading(path)
            defer { fileSystem.close(h) }
            let size = try fileSystem.size(h)
            guard size <= maximumMetaBytes else { return .unreadable("it has \(size) bytes, more than a journal.meta ever holds") }
            bytes = try fileSystem.read(h, count: size, at: 0)
        } catch {
            return .unreadable("\(error)")
        }
        return parseMeta(bytes, directory: directory)
    }

    static func parseMeta(_ bytes: [UInt8], directory: String) -> Meta {
        var values: [String: Int] = [:]
        for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            guard let eq = line.firstIndex(of: UInt8(ascii: "=")) else { return .unreadable("a line without '='") }
            let key = String(decoding: line[line.startIndex..<eq], as: UTF8.self)
            let text = String(decoding: line[(eq + 1)...], as: UTF8.self)
            guard key == "segments" || key == "segment_size" else { return .unreadable("unknown key \(key.prefix(40).debugDescription)") }
            guard values[key] == nil else { return .unreadable("\(key) given twice") }
            guard let v = Int(text) else { return .unreadable("\(key) is not a number: \(text.prefix(40).debugDescription)") }
            values[key] = v
        }
        guard let count = values["segments"], let size = values["segment_size"] else { return .unreadable("segments or segment_size missing") }
        guard plausible(segmentCount: count, segmentSize: size) else {
            return .unreadable(
                "segments=\(count) segment_size=\(size) is out of bounds (2...\(maximumSegmentCount) segments of \(minimumSegmentSize)...\(maximumSegmentSize) bytes, a multiple of 4096)"
            )
        }
        return .valid(JournalLayout(directory: directory, segmentCount: count, segmentSize: size))
    }

    /// Reads the geometry a journal directory was created with, if any (nil: no `journal.meta`).
    /// A damaged meta file is an error naming the file; `Journal` heals it where it is safe.
    static func stored(in directory: String, fileSystem: FileSystem) throws -> JournalLayout? {
        switch readMeta(in: directory, fileSystem: fileSystem) {
        case .missing: return nil
        case .valid(let layout): return layout
        case .unreadable(let why):
            throw JournalError.invalidConfiguration("\(directory)/journal.meta is unreadable (\(why))")
        }
    }

    /// The layout a reader uses: `journal.meta`'s, or when it is missing or damaged, the one the
    /// segment files show (with a sentence saying so, and what opening will do). Throws a clear
    /// error when neither can say.
    static func forReading(directory: String, fileSystem: FileSystem) throws -> (JournalLayout, String?) {
        switch readMeta(in: directory, fileSystem: fileSystem) {
        case .valid(let layout):
            guard let shown = inferred(in: directory, fileSystem: fileSystem).layout, shown != layout else { return (layout, nil) }
            return (
                shown,
                "journal.meta says \(layout.segmentCount) segments of \(layout.segmentSize) bytes, but the segment files show \(shown.segmentCount) of \(shown.segmentSize) (read with those); opening refuses until they agree"
            )
        case .missing:
            guard let layout = inferred(in: directory, fileSystem: fileSystem).layout else {
                throw JournalError.invalidConfiguration("no journal in \(directory) (journal.meta not found)")
            }
            return (
                layout,
                "journal.meta is missing; the segment files show \(layout.segmentCount) segments of \(layout.segmentSize) bytes: opening with that size rewrites it"
            )
        case .unreadable(let why):
            guard let layout = inferred(in: directory, fileSystem: fileSystem).layout else {
                throw JournalError.invalidConfiguration(
                    "\(directory)/journal.meta is unreadable (\(why)) and the segment files do not show one layout: the journal cannot be read. Move the directory aside to start a new journal"
                )
            }
            return (
                layout,
                "journal.meta is unreadable (\(why)); the segment files show \(layout.segmentCount) segments of \(layout.segmentSize) bytes: opening with that size rewrites it, keeping the bad one aside"
            )
        }
    }

    /// The geometry the segment files themselves show, when `journal.meta` cannot say: the
    /// segment size every valid segment header records, and the number of `segment-NNNN.log`
    /// files (numbered from 0 without a hole). nil when there are no segment files, or they
    /// disagree. Nothing here is trusted beyond the checksummed headers and the names.
    static func inferred(in directory: String, fileSystem: FileSystem) -> (layout: JournalLayout?, hasData: Bool) {
        guard let names = try? fileSystem.list(directory) else { return (nil, false) }
        let indexes = Set(names.compactMap(segmentIndex(ofName:)))
        guard !indexes.isEmpty else { return (nil, false) }
        var sizes = Set<UInt64>()
        for i in indexes.sorted().prefix(maximumSegmentCount + 1) {
            if let size = segmentSizeInHeader(of: "\(directory)/\(segmentName(i))", fileSystem: fileSystem) { sizes.insert(size) }
        }
        let count = (indexes.max() ?? 0) + 1
        guard sizes.count == 1, let size = sizes.first, size <= UInt64(maximumSegmentSize), indexes.count == count,
            plausible(segmentCount: count, segmentSize: Int(size))
        else { return (nil, !sizes.isEmpty) }
        return (JournalLayout(directory: directory, segmentCount: count, segmentSize: Int(size)), true)
    }

    /// The segment size the checksummed header of the segment file at `path` records; nil when
    /// the file cannot be read or its header was never written (generation 0) or is damaged.
    static func segmentSizeInHeader(of path: String, fileSystem: FileSystem) -> UInt64? {
        guard let h = try? fileSystem.openForReading(path) else { return nil }
        defer { fileSystem.close(h) }
        guard let raw = try? fileSystem.read(h, count: SegmentHeader.size, at: 0), let header = SegmentHeader.decode(raw), header.generation > 0
        else { return nil }
        return header.segmentSize
    }

    /// Why the segment files in this layout's directory cannot be read with it: their headers
    /// show another layout, or, with `mixedSizes`, segments of several sizes (a resize's swap
    /// interrupted halfway and its `resize/` folder removed). Read with this layout, their
    /// records past its segment size would be lost (found black-box, 53rd and 54th reviews).
    /// nil when the written segments agree with it. Mixed sizes matter before a resize, which
    /// would copy from this layout; opened as it is, a segment of another size is damage the
    /// open reports and keeps a copy of (a resize's copy finished without one of its segments).
    func segmentsDisagree(mixedSizes: Bool, fileSystem: FileSystem) -> String? {
        let says = "\(metaPath) says \(segmentCount) segments of \(segmentSize) bytes, but the segment files were written with "
        if let shown = Self.inferred(in: directory, fileSystem: fileSystem).layout, shown != self {
            return says + "\(shown.segmentCount) of \(shown.segmentSize)"
        }
        guard mixedSizes else { return nil }
        let sizes = Set((0..<segmentCount).compactMap { Self.segmentSizeInHeader(of: segmentPath($0), fileSystem: fileSystem) })
        guard sizes.contains(where: { $0 != UInt64(segmentSize) }) else { return nil }
        return says + "segments of \(sizes.sorted().map(String.init).joined(separator: " and ")) bytes (a resize's swap interrupted halfway?)"
    }
}
