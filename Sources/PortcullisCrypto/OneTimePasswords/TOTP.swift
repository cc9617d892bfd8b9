/// Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP): HMAC-SHA1, 30-second steps,
/// 6 digits — what every authenticator app uses and LibreChat issues.
///
/// ```swift
/// let totp = TOTP(secret: secretBytes)
/// let step = totp.verify("123456", at: now, after: lastAcceptedStep)   // the step, or nil
/// ```
public struct TOTP: Sendable {
    public static let period: Int64 = 30
    public static let digits = 6

    private let mac: HMAC<SHA1>

    public init(secret: [UInt8]) {
        mac = HMAC(key: SymmetricKey(data: secret))
    }

    /// The time step of `seconds` since 1970.
    public static func step(at seconds: Int64) -> Int64 { seconds / period }

    /// The code for a time step (HOTP with the step as the counter), zero-padded.
    public func code(step: Int64) -> String {
        var counter = UInt64(bitPattern: step).bigEndian
        let digest = withUnsafeBytes(of: &counter) { mac.authenticationCode(for: $0) }.bytes
        let offset = Int(digest[19] & 0x0F)
        let truncated =
            (UInt32(digest[offset] & 0x7F) << 24) | (UInt32(digest[offset + 1]) << 16)
            | (UInt32(digest[offset + 2]) << 8)
            | UInt32(digest[offset + 3])
        let value = String(truncated % 1_000_000)
        return String(repeating: "0", count: Self.digits - value.count) + value
    }

    /// The time step `code` belongs to, within ±`window` steps of `seconds`, provided it is later
    /// than `lastAccepted` (so a code is accepted at most once); `nil` otherwise. Every candidate
    /// step is compared, in constant time, whatever matches.
    public func verify(_ code: String, at seconds: Int64, window: Int64 = 1, after lastAccepted: Int64 = .min) -> Int64?
    {
        let presented = Array(code.utf8)
        guard presented.count == Self.digits, presented.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        let current = Self.step(at: seconds)
        var matched: Int64?
        for step in (current - window)...(current + window) {
            let equal = ConstantTime.equals(Array(self.code(step: step).utf8), presented)
            if equal && step > lastAccepted && matched == nil { matched = step }
        }
        return matched
    }
}
