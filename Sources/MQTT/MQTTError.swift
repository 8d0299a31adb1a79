import CMosquitto

/// A failure reported by libmosquitto, carrying the library's own description.
public struct MQTTError: Error, CustomStringConvertible, Equatable {
    /// libmosquitto's error code (`MOSQ_ERR_*`; `MOSQ_ERR_CONN_REFUSED` when the broker refused).
    public var code: Int32
    /// The broker's CONNACK return code when it refused the connection (5: not authorised;
    /// MQTT 5's reason codes on a connection that caps its packets, 135: not authorised).
    public var connackCode: Int32?
    public var operation: String
    /// libmosquitto's text for the code (`mosquitto_strerror`, `mosquitto_connack_string`).
    public var message: String

    public var description: String { "\(operation) failed: \(message)" }

    public init(code: Int32, connackCode: Int32? = nil, operation: String, message: String) {
        self.code = code
        self.connackCode = connackCode
        self.operation = operation
        self.message = message
    }

    /// The error for a `MOSQ_ERR_*` return code, with libmosquitto's text.
    static func library(_ rc: Int32, _ operation: String) -> MQTTError {
        MQTTError(code: rc, operation: operation, message: describe(rc))
    }

    /// The broker refused the connection with this CONNACK code.
    static func refused(connack rc: Int32) -> MQTTError {
        MQTTError(
            code: MOSQ_ERR_CONN_REFUSED.rawValue, connackCode: rc, operation: "connect",
            // MQTT 3.1.1's return codes are 1-5; MQTT 5's reason codes start at 128.
            message: String(cString: rc >= 128 ? mosquitto_reason_string(rc) : mosquitto_connack_string(rc)))
    }

    /// Converts a `MOSQ_ERR_*` return code into an error, using errno's text for `MOSQ_ERR_ERRNO`.
    /// `operation` is only built for a failure (publishing calls this once per message).
    static func check(_ rc: Int32, _ operation: @autoclosure () -> String) throws(MQTTError) {
        guard rc != MOSQ_ERR_SUCCESS.rawValue else { return }
        throw library(rc, operation())
    }

    static func describe(_ rc: Int32) -> String {
        if rc == MOSQ_ERR_ERRNO.rawValue, let text = strerror(errno) {
            return String(cString: text)
        }
        // libmosquitto 2.0's mosquitto_strerror has no text for this one ("Unknown error.").
        if rc == MOSQ_ERR_KEEPALIVE.rawValue { return "the broker did not answer within the keepalive interval" }
        // Its own text, "Lookup error.", did not say of what.
        if rc == MOSQ_ERR_EAI.rawValue { return "the broker's host name could not be resolved (DNS, /etc/hosts)" }
        return String(cString: mosquitto_strerror(rc))
    }

    /// A CONNECT the broker did not answer (`MQTTConfiguration.connackTimeoutSeconds`).
    static func unanswered(afterSeconds seconds: Int32, host: String, port: Int32) -> MQTTError {
        MQTTError(
            code: MOSQ_ERR_KEEPALIVE.rawValue, operation: "connect to \(host):\(port)",
            message:
                "the broker accepted the TCP connection but did not answer the MQTT CONNECT within \(seconds) s (no CONNACK): a hung or overloaded broker, or something other than an MQTT broker on that port"
        )
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
