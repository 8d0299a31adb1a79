import Foundation

/// Removes a folder that a running gateway is still writing into (`rm -rf` under a live process).
///
/// `FileManager.removeItem` lists a folder and then removes what it listed, so a file the gateway
/// renames away in between (`engine.snapshot.tmp` becoming `engine.snapshot`) fails the whole
/// removal with "no such file". That race is the test's, not the gateway's: removal is retried
/// until the folder is gone, and fails the test only if it never goes.
public func removeUnderWriter(atPath path: String, attempts: Int = 50) throws {
    var lastError: (any Error)?
    for _ in 0..<attempts {
        do {
            try FileManager.default.removeItem(atPath: path)
            return
        } catch {
            if !FileManager.default.fileExists(atPath: path) { return }
            lastError = error
        }
    }
    if let lastError { throw lastError }
}
