extension P256.PrivateKey {
    /// SEC 1 `EC PRIVATE KEY` PEM (RFC 5915) with the curve named and the public key included, as
    /// `openssl ecparam -genkey` writes it; ``init(pemRepresentation:)`` reads it back. Secret.
    public var pemRepresentation: String {
        let parameters = DERWriter.element(0xa0, DERWriter.element(0x06, ECPrivateKeyDER.prime256v1OID))
        let publicBits = DERWriter.element(0xa1, DERWriter.element(0x03, [0x00] + publicKey.x963Representation))
        let body = DERWriter.integer([1]) + DERWriter.element(0x04, rawRepresentation) + parameters + publicBits
        return PEM.encode(DERWriter.element(0x30, body), label: "EC PRIVATE KEY")
    }
}
