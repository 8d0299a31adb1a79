/// Which occurrences of an event that can repeat without bound (a hostile or broken sender's
/// message, a failing publish) are logged: the first and every 1,000th, so the log says it
/// happens, and how often, without a sender being able to flood it.
enum RepeatedEvent {
    static func isLogged(_ occurrence: Int) -> Bool { occurrence == 1 || occurrence.isMultiple(of: 1000) }
}
