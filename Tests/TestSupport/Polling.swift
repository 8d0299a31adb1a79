import Foundation

public struct TimedOut: Error, CustomStringConvertible {
    public let what: String
    public var description: String { "timed out waiting for \(what)" }
    public init(_ what: String) { self.what = what }
}

/// Waits for a condition that no event announces (a port opening, a process exiting), checking
/// it every few milliseconds until a generous deadline. Returns as soon as it holds.
public func waitUntil(_ what: String, timeout: Duration = .seconds(30), _ condition: () async throws -> Bool) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while true {
        if try await condition() { return }
        if clock.now >= deadline { throw TimedOut(what) }
        try await Task.sleep(for: .milliseconds(15))
    }
}
