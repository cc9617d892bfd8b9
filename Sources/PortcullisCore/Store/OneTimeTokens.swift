import Foundation
import PortcullisCrypto

/// A one-time token (email verification, password reset, invite): only its SHA-256 is kept.
public struct OneTimeToken: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable {
        case verifyEmail = "verify_email"
        case resetPassword = "reset_password"
        case invite
        /// A finished social-login flow's `state` (its hash), kept until the flow cookie would have
        /// expired so that a replayed callback is refused.
        case oauthState = "oauth_state"
    }

    public var hash: String
    public var kind: Kind
    /// The user it belongs to (invites: empty).
    public var userId: String
    public var email: String
    public var expiresAt: Int64

    public init(hash: String, kind: Kind, userId: String, email: String, expiresAt: Int64) {
        self.hash = hash
        self.kind = kind
        self.userId = userId
        self.email = email
        self.expiresAt = expiresAt
    }
}

/// A mail waiting in the outbox.
public struct OutboxMail: Sendable, Equatable, Codable {
    public var id: String
    public var to: String
    public var subject: String
    public var text: String
    public var html: String
    public var attempts: Int
    public var nextAttempt: Int64

    public init(
        id: String, to: String, subject: String, text: String, html: String, attempts: Int = 0, nextAttempt: Int64 = 0
    ) {
        self.id = id
        self.to = to
        self.subject = subject
        self.text = text
        self.html = html
        self.attempts = attempts
        self.nextAttempt = nextAttempt
    }
}

/// One-time tokens: 256-bit, SHA-256 at rest, exact expiry, single use, and a newer token of a kind
/// for the same user (or invited email) replaces the older one.
actor OneTimeTokenStore {
    private var tokens: [String: OneTimeToken] = [:]
    private var current: [String: String] = [:]  // "<kind>|<owner>" → hash
    private let journal: (any MutationJournal)?

    init(journal: (any MutationJournal)?) {
        self.journal = journal
    }

    private static func owner(_ token: OneTimeToken) -> String {
        token.kind.rawValue + "|" + (token.userId.isEmpty ? token.email : token.userId)
    }

    func issue(_ token: OneTimeToken) -> UInt64? {
        var last: UInt64?
        if let previous = current[Self.owner(token)], tokens.removeValue(forKey: previous) != nil {
            last = journal?.enqueue(TokenEntry.delete(hash: previous))
        }
        tokens[token.hash] = token
        current[Self.owner(token)] = token.hash
        return journal?.enqueue(TokenEntry.put(token)) ?? last
    }

    /// Takes (and so uses up) a live token of `kind` whose hash is `hash` (and, when given, whose
    /// email is `email`: a token presented with another address is not spent).
    func redeem(hash: String, kind: OneTimeToken.Kind, email: String?, now: Int64) -> (OneTimeToken?, UInt64?) {
        guard let token = tokens[hash], token.kind == kind else { return (nil, nil) }
        if let email, token.email != email { return (nil, nil) }
        tokens.removeValue(forKey: hash)
        if current[Self.owner(token)] == hash { current.removeValue(forKey: Self.owner(token)) }
        let ticket = journal?.enqueue(TokenEntry.delete(hash: hash))
        return (token.expiresAt > now ? token : nil, ticket)
    }

    /// Records `token` unless its hash is already held; false for a second use.
    func spend(_ token: OneTimeToken) -> (Bool, UInt64?) {
        guard tokens[token.hash] == nil else { return (false, nil) }
        tokens[token.hash] = token
        current[Self.owner(token)] = token.hash
        return (true, journal?.enqueue(TokenEntry.put(token)))
    }

    /// Drops expired tokens (journaled, so a restart does not bring them back).
    func sweep(now: Int64) -> UInt64? {
        var last: UInt64?
        for (hash, token) in tokens where token.expiresAt <= now {
            tokens.removeValue(forKey: hash)
            if current[Self.owner(token)] == hash { current.removeValue(forKey: Self.owner(token)) }
            last = journal?.enqueue(TokenEntry.delete(hash: hash))
        }
        return last
    }

    func restore(_ token: OneTimeToken) {
        tokens[token.hash] = token
        current[Self.owner(token)] = token.hash
    }

    func restoreDelete(_ hash: String) {
        if let token = tokens.removeValue(forKey: hash), current[Self.owner(token)] == hash {
            current.removeValue(forKey: Self.owner(token))
        }
    }

    func all() -> [OneTimeToken] { Array(tokens.values) }
}

/// The facade: issues raw tokens (returned once, never stored) and redeems them.
public final class OneTimeTokens: Sendable {
    private let store: OneTimeTokenStore
    private let journal: (any MutationJournal)?
    private let clock: any WallClock

    public init(journal: (any MutationJournal)?, clock: any WallClock = SystemClock()) {
        self.journal = journal
        self.clock = clock
        store = OneTimeTokenStore(journal: journal)
    }

    static func hash(_ raw: String) -> String { SHA256.hash(data: Array(raw.utf8)).hexString }

    /// A fresh 256-bit token (64 hex characters); only its hash is kept.
    public func issue(_ kind: OneTimeToken.Kind, userId: String, email: String, lifetime: Int64) async -> String {
        let raw = Hex.encode(SecureRandom.bytes(count: 32))
        let token = OneTimeToken(
            hash: Self.hash(raw), kind: kind, userId: userId, email: email,
            expiresAt: clock.milliseconds + lifetime)
        if let ticket = await store.issue(token), let journal { await journal.waitUntilDurable(ticket) }
        return raw
    }

    /// The token's record if `raw` is a live token of `kind` (bound to `email` when given); once
    /// presented with the right email it can never be used again, expired or not.
    public func redeem(_ raw: String, kind: OneTimeToken.Kind, email: String? = nil) async -> OneTimeToken? {
        guard raw.utf8.count == 64 else { return nil }
        let (token, ticket) = await store.redeem(
            hash: Self.hash(raw), kind: kind, email: email.map(User.normalizeEmail),
            now: clock.milliseconds)
        if let ticket, let journal { await journal.waitUntilDurable(ticket) }
        return token
    }

    /// Marks a one-time value (a social login's `state`) as used until `expiresAt` (ms); false when
    /// it was used before. Durable before it answers.
    public func spend(_ raw: String, kind: OneTimeToken.Kind, expiresAt: Int64) async -> Bool {
        let hash = Self.hash(raw)
        let (fresh, ticket) = await store.spend(
            OneTimeToken(hash: hash, kind: kind, userId: "", email: hash, expiresAt: expiresAt))
        if let ticket, let journal { await journal.waitUntilDurable(ticket) }
        return fresh
    }

    /// Forgets expired tokens.
    public func sweep() async {
        _ = await store.sweep(now: clock.milliseconds)
    }

    public func restore(_ token: OneTimeToken) async { await store.restore(token) }
    public func restoreDelete(hash: String) async { await store.restoreDelete(hash) }
    public func all() async -> [OneTimeToken] { await store.all() }
}

/// The outbox's durable state: mails not yet delivered (journaled, so a restart does not drop them).
public actor MailQueue {
    private var mails: [String: OutboxMail] = [:]
    private let journal: (any MutationJournal)?

    public init(journal: (any MutationJournal)?) {
        self.journal = journal
    }

    /// Stores (or updates) a mail; returns the journal ticket to wait on.
    public func put(_ mail: OutboxMail) -> UInt64? {
        mails[mail.id] = mail
        return journal?.enqueue(MailEntry.put(mail))
    }

    public func remove(_ id: String) -> UInt64? {
        guard mails.removeValue(forKey: id) != nil else { return nil }
        return journal?.enqueue(MailEntry.delete(id: id))
    }

    /// Mails due at `now`, oldest schedule first.
    public func due(now: Int64, limit: Int) -> [OutboxMail] {
        Array(mails.values.filter { $0.nextAttempt <= now }.sorted { $0.nextAttempt < $1.nextAttempt }.prefix(limit))
    }

    public var count: Int { mails.count }

    public func all() -> [OutboxMail] { Array(mails.values) }

    public func restore(_ mail: OutboxMail) { mails[mail.id] = mail }

    public func restoreDelete(_ id: String) { mails.removeValue(forKey: id) }
}
