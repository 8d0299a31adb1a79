/// One at a time, in the order asked, waiting without holding a thread: for work on the
/// cooperative pool (two threads on a two-core box) that must not take all of it, such as the
/// HTTP endpoint's pages, which, rendered for many clients at once, held up `/healthz` and a
/// SIGTERM's drain for seconds (found black-box, 83rd review).
public actor Turns {
    private var running = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    public init() {}

    /// Returns when the caller may run; it must call `give()` when done.
    public func take() async {
        guard running else {
            running = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    /// Hands the turn to the next caller waiting, if any.
    public func give() {
        if waiting.isEmpty { running = false } else { waiting.removeFirst().resume() }
    }
}
