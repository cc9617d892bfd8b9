/// Failures of the engine itself rather than of what a user sent. The server renders each one in
/// one place (503 with `Retry-After` for ``overloaded``, 500 for the others).
public enum AuthError: Error, Sendable, Equatable {
    /// The hashing queue is full: retry shortly.
    case overloaded
    /// A password hash could not be computed.
    case hashingFailed
    /// A token could not be signed.
    case signingFailed
}
