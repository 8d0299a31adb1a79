/// A value that must never reach a log: the MQTT password. Printed, interpolated, dumped or
/// reflected it shows as `<redacted>`, so a configuration printed whole (ServiceLifecycle logs
/// each service with its fields at debug level) cannot leak it (found black-box, 63rd review:
/// the password appeared four times in the log at `log-level debug`).
public struct Secret: Sendable, Equatable, ExpressibleByStringLiteral, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The secret itself, for the one place that hands it on (the MQTT connection).
    public let value: String

    public init(_ value: String) { self.value = value }
    public init(stringLiteral value: String) { self.value = value }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
