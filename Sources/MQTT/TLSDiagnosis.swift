import Foundation

/// Turns what libmosquitto and OpenSSL say about a failed TLS connection ("A TLS error
/// occurred", `OpenSSL Error[0]: error:0A000086:SSL routines::certificate verify failed`) into a
/// sentence an operator can act on: which file, and the likely cause.
///
/// libmosquitto reports the cause only in its log (its error code is the same for all of them),
/// so the client captures its error lines while connecting (`MQTTClient`) and hands them here.
public enum TLSDiagnosis {
    /// The explanation for a failed connection with `tls`, from libmosquitto's error lines;
    /// nil when they say nothing about TLS.
    public static func explain(libraryErrors: [String], tls: MQTTConfiguration.TLS, host: String, now: Date = Date()) -> String? {
        let text = libraryErrors.joined(separator: " | ")
        let lower = text.lowercased()
        let cert = tls.certFile ?? "(no cert)"
        let key = tls.keyFile ?? "(no key)"
        let clock = ISO8601DateFormatter().string(from: now)
        let cause: String
        if lower.contains("unable to load ca certificates") {
            cause = "cannot load the CA file \(tls.caFile): it is not a PEM certificate, or not readable by this user"
        } else if lower.contains("unable to load client certificate") {
            cause = "cannot load the client certificate \(cert): it is not a PEM certificate, or not readable by this user"
        } else if lower.contains("certificate/key are inconsistent") || lower.contains("key values mismatch") {
            cause = "the client key \(key) does not match the client certificate \(cert) (they are from different pairs)"
        } else if lower.contains("unable to load client key") {
            cause = "cannot load the client key \(key): not a PEM private key, encrypted (no passphrase can be given), or not readable"
        } else if lower.contains("certificate verify failed") {
            cause =
                "the broker's certificate was not accepted with the CA file \(tls.caFile): it is signed by another CA (unknown CA), "
                + "has expired or is not yet valid (this box's clock says \(clock)), or does not name \(host)"
        } else if lower.contains("alert unknown ca") {
            cause = "the broker does not know the CA that signed the client certificate \(cert) (add that CA to the broker's cafile)"
        } else if lower.contains("alert certificate expired") {
            cause = "the broker says the client certificate \(cert) has expired (or is not yet valid by the broker's clock)"
        } else if lower.contains("alert certificate required") || lower.contains("peer did not return a certificate") {
            cause = "the broker requires a client certificate: set cert and key"
        } else if lower.contains("alert bad certificate") || lower.contains("alert certificate unknown") {
            cause = "the broker refused the client certificate \(cert) (signed by a CA it does not trust, expired, or revoked)"
        } else if lower.contains("wrong version number") || lower.contains("packet length too long") || lower.contains("record layer failure") {
            cause = "the broker's port does not speak TLS (a plain mqtt:// listener?)"
        } else if lower.contains("unexpected eof while reading") {
            // OpenSSL 3's word for a peer that closed mid-handshake: mosquitto's plain listener
            // does so on a ClientHello (found black-box, 57th review: the generic sentence below
            // named the three files instead of the port).
            cause =
                "the broker closed the connection during the TLS handshake: most likely its port does not speak TLS (a plain mqtt:// listener?)"
                + (tls.certFile.map { ", or it refused the client certificate \($0)" } ?? "")
        } else if lower.contains("ssl") || lower.contains("tls") || lower.contains("certificate") {
            cause = "TLS failed with the CA file \(tls.caFile)" + (tls.certFile.map { ", certificate \($0) and key \(key)" } ?? "")
        } else {
            return nil
        }
        return "\(cause) [\(text)]"
    }

    /// The broker closed a TLS connection before accepting it, saying nothing the client could
    /// log: with TLS 1.3 that is how a refused (or missing) client certificate shows.
    public static func closedBeforeAccepted(tls: MQTTConfiguration.TLS) -> String {
        if let cert = tls.certFile {
            return "the broker closed the connection before accepting it: most likely it refuses the client certificate \(cert) "
                + "(signed by a CA it does not know, expired, or revoked; the broker's log says which)"
        }
        return "the broker closed the connection before accepting it: most likely it requires a client certificate (set cert and key)"
    }
}
