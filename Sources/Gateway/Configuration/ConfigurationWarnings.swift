import Foundation
import Journal

/// What is allowed but unwise in a configuration: logged at start-up (`run`) and printed by
/// `config check`, never a reason to refuse.
public enum ConfigurationWarnings {
    /// One sentence per finding, each naming the setting and the file: a password file others
    /// can read, a CA or client certificate expired or not yet valid by this box's clock (`now`),
    /// a `max-fill` longer than the journal ring takes at once (`FillBudget`), an `mqtt://` broker
    /// with a `ca-file` (TLS all the same), Sparkplug settings without the filter that turns the
    /// input on.
    public static func of(_ c: GatewayConfiguration, now: Date = Date()) -> [String] {
        var out = files(c, now: now)
        if let fill = FillBudget.warning(c) { out.append(fill) }
        // The journal is 16 equal segments of whole 4 KiB pages (found black-box, 67th review:
        // 1048577 became 1048576 without a word).
        if let layout = try? JournalLayout(directory: c.journalDirectory, maxBytes: c.journalMaxBytes),
            layout.segmentCount * layout.segmentSize != c.journalMaxBytes
        {
            out.append(
                "journal-max-bytes \(c.journalMaxBytes) is used as \(layout.segmentCount * layout.segmentSize) (\(layout.segmentCount) segments of \(layout.segmentSize) bytes, a multiple of 4096 each)"
            )
        }
        if c.brokerScheme == .mqtt, c.caFile != nil {
            // TLS follows ca-file (as it always has: a refusal would stop boxes that rely on it);
            // said, since `mqtt://` reads as a plain listener (found black-box, 63rd review: it
            // passed `config check`, then failed every attempt against a plain listener).
            out.append(
                "broker \(c.brokerScheme.rawValue)://\(c.brokerHost):\(c.brokerPort) with ca-file set: the gateway connects with TLS, as for mqtts://; "
                    + "write mqtts:// to say so, or remove ca-file (and cert, key) for a plain listener")
        }
        if c.engine.sparkplugFilter == nil, c.engine.sparkplugMetrics != nil || c.engine.sparkplugRebirth == true {
            out.append("sparkplug-metrics or sparkplug-rebirth is set but sparkplug-topic-filter is not: the Sparkplug input is off")
        }
        if c.sparkplugEdgeNode == nil, let host = c.sparkplugPrimaryHost {
            out.append("sparkplug-primary-host \(host) is set but sparkplug-edge-node is not: there is no edge node to wait for it")
        }
        if c.engine.sparkplugFilter == nil, let host = c.sparkplugHostID {
            out.append(
                "sparkplug-host-id \(host) is set but sparkplug-topic-filter is not: the gateway would tell edge nodes it reads them while it does not"
            )
        }
        return out
    }

    /// The findings about the files the broker connection reads (certificates out of their
    /// dates, a password file others can read): said again at each reload too, as a renewed
    /// or re-permissioned file is one (found black-box, 57th review: a reload to an expired
    /// client certificate, or after a chmod 644, said nothing).
    public static func files(_ c: GatewayConfiguration, now: Date = Date()) -> [String] {
        var out = certificateDates(c, now: now).map { "\($0): TLS connections will fail until it is renewed or the clock is right" }
        if let path = c.passwordFile, let mode = permissions(path), mode & 0o077 != 0 {
            out.append(
                "password-file \(path) can be read or written by users other than its owner (mode \(String(mode, radix: 8, uppercase: false).leftPadded(4))): "
                    + "chmod 600 it (mosquitto's own password files get the same advice)")
        }
        return out
    }

    /// The CA and client certificates out of their dates by this box's clock (`now`), each as
    /// "cert /path: the certificate expired on ..., and this box's clock says ...".
    static func certificateDates(_ c: GatewayConfiguration, now: Date = Date()) -> [String] {
        [("ca-file", c.caFile), ("cert", c.certFile)].compactMap { setting, path in
            guard let path, let problem = CertificateDates(pemFile: path)?.problem(at: now) else { return nil }
            return "\(setting) \(path): the certificate \(problem), and this box's clock says \(ISO8601DateFormatter().string(from: now))"
        }
    }

    /// The permission bits of `path`, nil when it cannot be examined.
    static func permissions(_ path: String) -> Int? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int(info.st_mode) & 0o7777
    }
}

extension String {
    /// With leading zeros up to `width` characters (file modes: 0644).
    fileprivate func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
