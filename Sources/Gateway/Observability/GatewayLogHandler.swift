import Foundation
import Logging
import Wire

/// The gateway's swift-log handler, writing one line per event to standard error.
///
/// Under systemd (which sets `JOURNAL_STREAM`) a text line starts with its syslog priority
/// (`<4>` for a warning) and no timestamp, so journald records the level and
/// `journalctl -p warning` filters on it. Elsewhere a text line starts with a UTC timestamp to
/// the millisecond. Metadata follows the message as `key=value`, or as a JSON object.
public struct GatewayLogHandler: LogHandler {
    /// The shared level (`LiveLogLevel`), unless set on this handler.
    public var logLevel: Logger.Level {
        get { ownLevel ?? sharedLevel.level }
        set { ownLevel = newValue }
    }
    public var metadata: Logger.Metadata = [:]
    let label: String
    let format: LogFormat
    let syslogPriorityPrefix: Bool
    private let sharedLevel: LiveLogLevel
    private var ownLevel: Logger.Level?

    /// `level`: shared by the process's handlers, and changeable while they run.
    public init(
        label: String, level: LiveLogLevel, format: LogFormat,
        syslogPriorityPrefix: Bool = ProcessInfo.processInfo.environment["JOURNAL_STREAM"] != nil
    ) {
        self.label = label
        sharedLevel = level
        self.format = format
        self.syslogPriorityPrefix = syslogPriorityPrefix
    }

    /// A handler with a fixed level of its own.
    public init(
        label: String, level: Logger.Level, format: LogFormat,
        syslogPriorityPrefix: Bool = ProcessInfo.processInfo.environment["JOURNAL_STREAM"] != nil
    ) {
        self.init(label: label, level: LiveLogLevel(level), format: format, syslogPriorityPrefix: syslogPriorityPrefix)
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = event.metadata.map { self.metadata.merging($0) { $1 } } ?? self.metadata
        if let error = event.error { merged["error"] = "\(error)" }
        let text = render(level: event.level, message: "\(event.message)", metadata: merged, at: Date())
        Self.writeToStandardError(text + "\n")
    }

    /// write(2), ignoring failures: a log line must never stop the gateway (FileHandle's write
    /// traps on an error such as EPIPE when journald restarts under a unit that ignores SIGPIPE).
    private static func writeToStandardError(_ line: String) {
        var bytes = Array(line.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            bytes = bytes.dropFirst(n)
        }
    }

    /// One log line (without its newline).
    func render(level: Logger.Level, message: String, metadata: Logger.Metadata, at time: Date) -> String {
        switch format {
        case .json:
            let line = JSONLine(
                ts: Self.timestamp(time), level: level.rawValue, label: label, message: message,
                metadata: metadata.isEmpty ? nil : metadata.mapValues { "\($0)" })
            return WireJSON.text(line)
        case .text:
            let fields = metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            let body = "\(level.rawValue) \(label): \(message)" + (fields.isEmpty ? "" : " " + fields)
            return syslogPriorityPrefix ? "<\(Self.syslogPriority(level))>\(body)" : "\(Self.timestamp(time)) \(body)"
        }
    }

    /// syslog(3) priorities, as journald reads them from a `<N>` prefix.
    static func syslogPriority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// `2026-11-26T20:40:01.123Z`.
    static func timestamp(_ date: Date) -> String {
        let ms = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        var seconds = time_t(ms / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
            Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), Int(ms % 1000))
    }

    /// One line of the JSON log format; keys come out sorted.
    private struct JSONLine: Encodable {
        var ts: String
        var level: String
        var label: String
        var message: String
        var metadata: [String: String]?
    }
}
