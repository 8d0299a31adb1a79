import CMosquitto

/// Owns one `struct mosquitto *`.
///
/// `@unchecked Sendable` because libmosquitto (built with threading, as Debian's is) guards a
/// handle's state with its own mutexes: publish, subscribe and disconnect may be called from any
/// thread while the client's network thread (`MQTTClient`) runs `mosquitto_loop_read`/`_write`.
/// This wrapper adds no state of its own.
final class MosquittoHandle: @unchecked Sendable {
    let pointer: OpaquePointer

    init(pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        mosquitto_destroy(pointer)
    }
}
