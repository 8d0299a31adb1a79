import CMosquitto

/// A failure reported by libmosquitto, carrying the library's own description.
public struct MQTTError: Error, CustomStringConvertible, Equatable {
    /// libmosquitto's error code (`MOSQ_ERR_*`), or the CONNACK code for `connectionRefused`.
    public var code: Int32
    public var operation: String
    public var message: String

    public var description: String { "\(operation) failed: \(message)" }

    public init(code: Int32, operation: String, message: String) {
        self.code = code
        self.operation = operation
        self.message = message
    }

    /// Converts a `MOSQ_ERR_*` return code into an error, using errno's text for `MOSQ_ERR_ERRNO`.
    static func check(_ rc: Int32, _ operation: String) throws(MQTTError) {
        guard rc != MOSQ_ERR_SUCCESS.rawValue else { return }
        throw MQTTError(code: rc, operation: operation, message: describe(rc))
    }

    static func describe(_ rc: Int32) -> String {
        if rc == MOSQ_ERR_ERRNO.rawValue, let text = strerror(errno) {
            return String(cString: text)
        }
        return String(cString: mosquitto_strerror(rc))
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
