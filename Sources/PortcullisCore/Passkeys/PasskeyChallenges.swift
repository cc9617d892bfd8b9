import PortcullisCrypto
import Synchronization

/// WebAuthn challenges that cost the server nothing to hand out: 16 random bytes, the ceremony,
/// the expiry and who it is for (the user registering, or the email a sign-in started with),
/// authenticated with a key of their own. A stranger asking for a million challenges fills no
/// memory; only a challenge that comes back valid is remembered, until it expires, so it works once.
public final class PasskeyChallenges: Sendable {
    public enum Ceremony: UInt8, Sendable {
        case registration = 1
        case authentication = 2
    }

    /// How long a challenge lives (the ceremony's timeout, plus a little for the round trips).
    public static let lifetime: Int64 = 180_000
    static let length = 42
    /// Spent challenges remembered at most (each lives ``lifetime``); beyond it redeeming fails
    /// closed until expiry makes room.
    static let maximumSpent = 1 << 20

    private let key: SymmetricKey
    private let clock: any WallClock
    private let spent = Mutex<[[UInt8]: Int64]>([:])

    public init(secret: [UInt8], clock: any WallClock) {
        key = SymmetricKey(derivedFrom: secret, purpose: "portcullis webauthn challenge v1")
        self.clock = clock
    }

    /// A fresh challenge for `ceremony`, bound to `subject`.
    public func issue(_ ceremony: Ceremony, subject: String) -> [UInt8] {
        var bytes: [UInt8] = [1, ceremony.rawValue] + SecureRandom.bytes(count: 16)
        let expiry = UInt64(clock.milliseconds + Self.lifetime)
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: expiry >> shift)) }
        return bytes + tag(bytes, subject: subject)
    }

    /// Whether `challenge` was issued here for `ceremony` and `subject`, is unexpired and unused; if so it is spent.
    public func redeem(_ challenge: [UInt8], _ ceremony: Ceremony, subject: String) -> Bool {
        guard challenge.count == Self.length, challenge[0] == 1, challenge[1] == ceremony.rawValue,
            ConstantTime.equals(challenge[26...], tag(Array(challenge[0..<26]), subject: subject))
        else { return false }
        let expiry = Int64(bitPattern: challenge[18..<26].reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        let now = clock.milliseconds
        guard expiry > now else { return false }
        return spent.withLock { spent in
            if spent.count >= Self.maximumSpent { spent = spent.filter { $0.value > now } }
            guard spent.count < Self.maximumSpent, spent[challenge] == nil else { return false }
            spent[challenge] = expiry
            return true
        }
    }

    /// Forgets spent challenges that expired (they fail on expiry alone now).
    public func sweep() {
        let now = clock.milliseconds
        spent.withLock { spent in spent = spent.filter { $0.value > now } }
    }

    private func tag(_ bytes: [UInt8], subject: String) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: bytes + Array(subject.utf8), using: key).bytes.prefix(16))
    }
}
