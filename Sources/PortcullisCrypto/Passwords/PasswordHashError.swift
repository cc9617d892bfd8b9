/// Why a password hash string could not be produced or checked.
public enum PasswordHashError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The hash string is not in any supported format; the message says which part is wrong.
    case malformedHash(String)
    /// The hash is well formed but names an algorithm or version this module does not implement.
    case unsupportedAlgorithm(String)
    /// The parameters are valid for the algorithm but outside the bounds we accept (they would cost
    /// too much memory or time to verify, or are too weak to produce).
    case parametersOutOfBounds(String)

    public var description: String {
        switch self {
        case .malformedHash(let why): "malformed password hash: \(why)"
        case .unsupportedAlgorithm(let name): "unsupported password hash algorithm: \(name)"
        case .parametersOutOfBounds(let why): "password hash parameters out of bounds: \(why)"
        }
    }
}
