/// The settings a stream is served with, shared by reference: the engine makes an `Output` for
/// every message and hands it the settings of the stream at hand, and copying the whole settings
/// struct each time was a measurable part of the cost of a message. Immutable: new settings are a
/// new instance.
final class SharedConfiguration: Sendable {
    let value: EngineConfiguration

    init(_ value: EngineConfiguration) { self.value = value }
}
