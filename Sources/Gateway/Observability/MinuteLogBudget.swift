import Logging

/// At most `perMinute` notice lines a minute for one kind of event, so a flood of them (ids,
/// requests) cannot flood the log: what is left out is counted in one line when the minute is
/// over ("<kind> not logged in the last minute").
struct MinuteLogBudget {
    let logger: Logger
    /// What the events are, for the line that counts those left out ("sensor events").
    let kind: String
    var perMinute = 30
    private var minuteStart: Int64 = 0
    private var logged = 0
    private var suppressed = 0

    init(logger: Logger, kind: String) {
        self.logger = logger
        self.kind = kind
    }

    /// Ends the minute once it is over (monotonic `now`, ms), logging how many events it left
    /// out. Called on every status update as well as before each event, so a burst followed by
    /// quiet is counted when its minute ends (found black-box: 5,532 sensors went stale after a
    /// burst of admissions and the count never came, or came minutes later with the next event).
    mutating func endMinuteIfOver(now: Int64) {
        guard now - minuteStart >= 60_000 else { return }
        if suppressed > 0 {
            logger.notice("\(kind) not logged in the last minute (at most \(perMinute) a minute)", metadata: ["count": "\(suppressed)"])
        }
        (minuteStart, logged, suppressed) = (now, 0, 0)
    }

    /// Logs `message` at notice, unless this minute's lines are used up.
    mutating func notice(_ message: Logger.Message, _ metadata: Logger.Metadata, now: Int64) {
        endMinuteIfOver(now: now)
        guard logged < perMinute else {
            suppressed += 1
            return
        }
        logged += 1
        logger.notice(message, metadata: metadata)
    }
}
