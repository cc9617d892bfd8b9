/// A change to the state, as the journal records it. Every case is a full-state write or an
/// idempotent delete, so replaying a record that a snapshot already contains changes nothing.
public enum Mutation: Sendable, Equatable {
    case putUser(User)
    case deleteUser(id: String)
    case putSession(Session)
    case deleteSession(id: String)
    case deleteSessionsOfUser(userId: String)
    case putViolation(subject: String, type: String, count: Int)
    case putBan(Ban)
    case deleteBan(subject: String)
    case putToken(OneTimeToken)
    case deleteToken(hash: String)
    case putMail(OutboxMail)
    case deleteMail(id: String)
    /// A lockout window's failures in full; an empty list deletes the window.
    case putLockout(LockoutWindow)
}

/// Where mutations go to become durable. `enqueue` is called inside the actor that applies the
/// change (so journal order is apply order); the caller then awaits `waitUntilDurable` before it
/// acknowledges anything.
public protocol MutationJournal: Sendable {
    /// Appends a mutation and returns its sequence number.
    func enqueue(_ mutation: Mutation) -> UInt64
    /// Returns once every mutation up to `sequence` is on disk (per the durability setting).
    func waitUntilDurable(_ sequence: UInt64) async
}
