import Foundation

/// A data-folder file that holds one whole number (`last-start`, `clock-lead`), read and
/// written whole: optional state a start reads and the running gateway keeps for the next.
enum NumberFile {
    enum Reading: Equatable {
        case absent
        /// There, but not a number (its caller warns and goes without it).
        case unreadable
        case value(Int64)
    }

    static func read(_ path: String) -> Reading {
        guard let data = FileManager.default.contents(atPath: path) else { return .absent }
        guard let value = Int64(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else { return .unreadable }
        return .value(value)
    }

    /// The number, or nil when the file is absent or unreadable.
    static func value(_ path: String) -> Int64? {
        if case .value(let v) = read(path) { return v }
        return nil
    }

    /// Replaces the file atomically (a crash leaves the old number or the new one).
    static func write(_ value: Int64, to path: String) throws {
        try Data("\(value)\n".utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
