/// Why a public key or signature encoding was refused.
public enum PublicKeyError: Error, Equatable, Sendable {
    /// RSA modulus outside 2048...8192 bits, or even.
    case unsupportedModulusSize
    /// RSA exponent even, below 3, or wider than 64 bits.
    case invalidExponent
    /// Coordinates not below the field prime, or the point is not on the curve.
    case pointNotOnCurve
    /// A key or signature with the wrong length or a malformed encoding.
    case invalidEncoding
}
