/// Stores the last journal seq whose output the broker acknowledged, and with it the last seq the
/// journal had synced, crash-safely: two checksummed 64-byte slots written alternately, each write
/// synced. On read the valid slot with the higher counter wins, so a torn write loses at most the
/// newest value, never both. (Slots written before the synced seq was kept hold 0 there: none.)
/// The file's blocks are allocated when it is opened, so a full disk cannot stop a store.
public final class CheckpointStore {
    private static let magic: UInt32 = 0x4B43_4753  // "SGCK"
    private let fileSystem: FileSystem
    private let handle: Int32
    private var counter: UInt64
    public private(set) var value: UInt64?
    /// The last journal seq known synced when the checkpoint was stored (nil: none said): the
    /// journal's recovery takes damage at or before it for damage, never for a torn write.
    public private(set) var durable: UInt64?
    /// True when the file held something but neither slot passed its checksum: the value was
    /// lost (not merely never written), so everything journaled will be treated as unacknowledged.
    public let unreadable: Bool

    public init(path: String, fileSystem: FileSystem) throws {
        self.fileSystem = fileSystem
        handle = try fileSystem.open(path, create: true)
        if try fileSystem.size(handle) < 128 { try fileSystem.allocate(handle, size: 128) }
        let state = CheckpointStore.decode(try fileSystem.read(handle, count: 128, at: 0))
        counter = state.counter
        value = state.value
        durable = state.durable
        unreadable = state.unreadable
    }

    /// What the checkpoint file at `path` holds, read only (for `journal verify`): nil value and
    /// `unreadable` false when there is no file or it was never written; `missing` when there is
    /// no file, or it is shorter than its two slots and neither can be read (`isMissingOrShort`).
    public static func peek(path: String, fileSystem: FileSystem) throws -> Reading {
        guard fileSystem.exists(path) else { return Reading(value: nil, durable: nil, unreadable: false, missing: true) }
        let h = try fileSystem.openForReading(path)
        defer { fileSystem.close(h) }
        let state = decode(try fileSystem.read(h, count: 128, at: 0))
        let short = try fileSystem.size(h) < 128
        return Reading(value: state.value, durable: state.durable, unreadable: state.unreadable, missing: state.value == nil && short)
    }

    /// What a checkpoint file says, as the journal's recovery weighs it.
    public struct Reading: Sendable {
        public var value: UInt64?
        public var durable: UInt64?
        public var unreadable: Bool
        public var missing: Bool
    }

    /// Whether the file at `path` is gone or shorter than its two slots: it is created at its
    /// full size, so a short one was cut (truncated, or restored from a bad copy) and what it held
    /// is lost, as when it is missing.
    public static func isMissingOrShort(path: String, fileSystem: FileSystem) -> Bool {
        guard fileSystem.exists(path), let h = try? fileSystem.openForReading(path) else { return true }
        defer { fileSystem.close(h) }
        return ((try? fileSystem.size(h)) ?? 0) < 128
    }

    private static func decode(_ bytes: [UInt8]) -> (counter: UInt64, value: UInt64?, durable: UInt64?, unreadable: Bool) {
        let slots = [0, 64].compactMap { decode(bytes, at: $0) }
        guard let newest = slots.max(by: { $0.counter < $1.counter }) else {
            return (0, nil, nil, !bytes.allSatisfy { $0 == 0 })
        }
        return (newest.counter, newest.value, newest.durable == 0 ? nil : newest.durable, false)
    }

    deinit { fileSystem.close(handle) }

    /// Durably records `newValue`, and `durableThrough`, the last journal seq synced (0: none said).
    public func store(_ newValue: UInt64, durableThrough: UInt64 = 0) throws {
        counter &+= 1
        var slot = [UInt8](repeating: 0, count: 64)
        slot.withUnsafeMutableBytes { r in
            r.storeBytes(of: CheckpointStore.magic.littleEndian, toByteOffset: 0, as: UInt32.self)
            r.storeBytes(of: counter.littleEndian, toByteOffset: 8, as: UInt64.self)
            r.storeBytes(of: newValue.littleEndian, toByteOffset: 16, as: UInt64.self)
            r.storeBytes(of: durableThrough.littleEndian, toByteOffset: 24, as: UInt64.self)
            let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: r[0..<60]))
            r.storeBytes(of: crc.littleEndian, toByteOffset: 60, as: UInt32.self)
        }
        try fileSystem.write(handle, bytes: slot, at: Int(counter % 2) * 64)
        try fileSystem.sync(handle)
        value = newValue
        durable = durableThrough == 0 ? nil : durableThrough
    }

    private static func decode(_ bytes: [UInt8], at offset: Int) -> (counter: UInt64, value: UInt64, durable: UInt64)? {
        guard bytes.count >= offset + 64 else { return nil }
        return bytes.withUnsafeBytes { raw in
            let r = UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + 64)])
            guard UInt32(littleEndian: r.loadUnaligned(fromByteOffset: 0, as: UInt32.self)) == magic,
                UInt32(littleEndian: r.loadUnaligned(fromByteOffset: 60, as: UInt32.self))
                    == CRC32C.checksum(UnsafeRawBufferPointer(rebasing: r[0..<60]))
            else { return nil }
            return (
                UInt64(littleEndian: r.loadUnaligned(fromByteOffset: 8, as: UInt64.self)),
                UInt64(littleEndian: r.loadUnaligned(fromByteOffset: 16, as: UInt64.self)),
                UInt64(littleEndian: r.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
            )
        }
    }
}
