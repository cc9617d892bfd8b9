import PortcullisCrypto

/// Proof Key for Code Exchange (RFC 7636) with the S256 method.
public enum PKCE {
    /// A fresh verifier: 32 random bytes as 43 base64url characters (the RFC's recommendation, §4.1).
    public static func makeVerifier() -> String {
        Base64URL.encode(SecureRandom.bytes(count: 32))
    }

    /// `BASE64URL(SHA256(ASCII(verifier)))` (§4.2).
    public static func challenge(for verifier: String) -> String {
        Base64URL.encode(SHA256.hash(data: verifier.utf8).bytes)
    }
}
