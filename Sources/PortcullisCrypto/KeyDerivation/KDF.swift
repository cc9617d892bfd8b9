/// Namespace for key-derivation functions.
public enum KDF {}

/// Errors from key derivation and password hashing parameters.
public enum KDFError: Error, Equatable, Sendable {
    /// A parameter is outside the range the algorithm (or our safety bounds) accepts.
    case invalidParameter(String)
}
