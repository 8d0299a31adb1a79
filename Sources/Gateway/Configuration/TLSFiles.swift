import Foundation

/// Looks at the TLS files before anything connects, so that `config check` and start-up name
/// a file that cannot work (not PEM, a key where a certificate belongs, an encrypted key) instead
/// of libmosquitto's "A TLS error occurred" at every reconnection.
enum TLSFiles {
    /// Why `path` cannot serve as a PEM certificate file (`ca-file`, `cert`); nil when it looks right.
    static func certificateProblem(_ path: String) -> String? {
        guard let text = read(path) else { return "cannot read the file" }
        if text.contains("-----BEGIN CERTIFICATE-----") && text.contains("-----END CERTIFICATE-----") { return nil }
        return "not a PEM certificate (no -----BEGIN CERTIFICATE----- block): " + describe(text, path: path, expected: "x509")
    }

    /// Why `path` cannot serve as the client's private key (`key`); nil when it looks right.
    static func keyProblem(_ path: String) -> String? {
        guard let text = read(path) else { return "cannot read the file" }
        if text.contains("ENCRYPTED PRIVATE KEY") || text.contains("Proc-Type: 4,ENCRYPTED") {
            return "an encrypted private key; the gateway cannot be given a passphrase: decrypt it (openssl pkey -in \(path) -out key.pem)"
        }
        if text.contains("-----BEGIN") && text.contains("PRIVATE KEY-----") { return nil }
        return "not a PEM private key (no -----BEGIN ... PRIVATE KEY----- block): " + describe(text, path: path, expected: "pkey")
    }

    /// What the file holds instead, with the fix.
    private static func describe(_ text: String, path: String, expected: String) -> String {
        if text.isEmpty { return "the file is empty" }
        if text.contains("PRIVATE KEY-----") { return "it holds a private key (key and certificate swapped?)" }
        if text.contains("-----BEGIN CERTIFICATE-----") { return "it holds a certificate (key and certificate swapped?)" }
        if text.unicodeScalars.first == "\u{30}" || text.unicodeScalars.contains(where: { $0.value < 9 }) {
            return "it looks binary (DER); convert it: openssl \(expected) -inform der -in \(path) -out \(path).pem"
        }
        return "it holds something else"
    }

    /// The file as text (invalid UTF-8 repaired), at most 1 MiB; nil when it cannot be read.
    private static func read(_ path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: 1 << 20) else { return "" }
        return String(decoding: data, as: UTF8.self)
    }
}
