import Foundation
import PortcullisCrypto

/// A backup code as kept: the SHA-256 of the code (hex) and when it was used.
public struct BackupCode: Sendable, Equatable {
    public var hash: String
    public var usedAt: Int64?

    public init(hash: String, usedAt: Int64? = nil) {
        self.hash = hash
        self.usedAt = usedAt
    }

    /// The code's hash as stored: SHA-256 of the trimmed input, lower-case hex (LibreChat's).
    public static func hash(of code: String) -> String {
        SHA256.hash(data: code.trimmingCharacters(in: .whitespacesAndNewlines).utf8).hexString
    }
}

/// One user's second factor: the TOTP secret sealed (ChaCha20-Poly1305 under a key derived from
/// `CREDS_KEY`: never in clear in memory dumps of the store, snapshots or the journal), the backup
/// codes, what an enrolment in progress will replace them with, and the last accepted time step.
public struct TwoFactorRecord: Sendable, Equatable {
    public var userId: String
    public var sealedSecret: [UInt8]?
    public var backupCodes: [BackupCode]
    public var pendingSealedSecret: [UInt8]?
    public var pendingBackupCodes: [BackupCode]
    /// TOTP steps up to this one are spent: a code is accepted at most once.
    public var lastAcceptedStep: Int64

    public init(
        userId: String, sealedSecret: [UInt8]? = nil, backupCodes: [BackupCode] = [],
        pendingSealedSecret: [UInt8]? = nil,
        pendingBackupCodes: [BackupCode] = [], lastAcceptedStep: Int64 = .min
    ) {
        self.userId = userId
        self.sealedSecret = sealedSecret
        self.backupCodes = backupCodes
        self.pendingSealedSecret = pendingSealedSecret
        self.pendingBackupCodes = pendingBackupCodes
        self.lastAcceptedStep = lastAcceptedStep
    }
}

/// Which secret a code is checked against.
public enum SecondFactorTarget: Sendable {
    case active
    case pending
}

/// One shard of second-factor records; every change is journaled in the same step, and a code is
/// checked and spent in one actor turn, so two requests can never both use it.
actor TwoFactorShard {
    private var records: [String: TwoFactorRecord] = [:]
    private let journal: (any MutationJournal)?

    init(journal: (any MutationJournal)?) {
        self.journal = journal
    }

    func record(_ userId: String) -> TwoFactorRecord? { records[userId] }

    func put(_ record: TwoFactorRecord) -> UInt64? {
        records[record.userId] = record
        return journal?.enqueue(TwoFactorEntry.put(record))
    }

    func remove(_ userId: String) -> UInt64? {
        guard records.removeValue(forKey: userId) != nil else { return nil }
        return journal?.enqueue(TwoFactorEntry.delete(userId: userId))
    }

    /// Accepts a TOTP code once: the step must be later than the last accepted one (for the active
    /// secret; a pending one has no history yet). Returns the outcome and the journal ticket.
    func acceptCode(
        _ userId: String, code: String, target: SecondFactorTarget, key: [UInt8], now: Int64
    )
        -> (accepted: Bool, replay: Bool, ticket: UInt64?)
    {
        guard var record = records[userId] else { return (false, false, nil) }
        let sealed = target == .active ? record.sealedSecret : record.pendingSealedSecret
        guard let sealed, let secret = try? ChaChaPoly.open(sealed, key: key, authenticating: Array(userId.utf8)) else {
            return (false, false, nil)
        }
        let totp = TOTP(secret: secret)
        let floor = target == .active ? record.lastAcceptedStep : .min
        guard let step = totp.verify(code, at: now / 1000, after: floor) else {
            return (false, totp.verify(code, at: now / 1000) != nil, nil)
        }
        record.lastAcceptedStep = max(record.lastAcceptedStep, step)
        records[userId] = record
        return (true, false, journal?.enqueue(TwoFactorEntry.put(record)))
    }

    /// Uses a backup code once (`consume`), or only checks it. Every code is compared, in constant time.
    func acceptBackupCode(
        _ userId: String, code: String, target: SecondFactorTarget, consume: Bool, now: Int64
    )
        -> (accepted: Bool, ticket: UInt64?)
    {
        guard var record = records[userId] else { return (false, nil) }
        let presented = Array(BackupCode.hash(of: code).utf8)
        var codes = target == .active ? record.backupCodes : record.pendingBackupCodes
        var found: Int?
        for (index, stored) in codes.enumerated() {
            let equal = ConstantTime.equals(Array(stored.hash.utf8), presented)
            if equal && stored.usedAt == nil && found == nil { found = index }
        }
        guard let found else { return (false, nil) }
        guard consume else { return (true, nil) }
        codes[found].usedAt = now
        if target == .active { record.backupCodes = codes } else { record.pendingBackupCodes = codes }
        records[userId] = record
        return (true, journal?.enqueue(TwoFactorEntry.put(record)))
    }

    func all() -> [TwoFactorRecord] { Array(records.values) }

    /// Restore and replay: no journaling.
    func restore(_ record: TwoFactorRecord) { records[record.userId] = record }
    func restoreDelete(_ userId: String) { records.removeValue(forKey: userId) }
}

/// Second factors, sharded by user id.
public final class TwoFactorStore: Sendable {
    private let shards: [TwoFactorShard]
    private let journal: (any MutationJournal)?

    public init(shardCount: Int, journal: (any MutationJournal)?) {
        self.journal = journal
        shards = (0..<max(1, shardCount)).map { _ in TwoFactorShard(journal: journal) }
    }

    func shard(_ userId: String) -> TwoFactorShard { shards[StableHash.shard(of: userId, count: shards.count)] }

    func durable(_ ticket: UInt64?) async {
        if let ticket, let journal { await journal.waitUntilDurable(ticket) }
    }

    public func record(userId: String) async -> TwoFactorRecord? { await shard(userId).record(userId) }

    public func put(_ record: TwoFactorRecord) async { await durable(await shard(record.userId).put(record)) }

    public func remove(userId: String) async { await durable(await shard(userId).remove(userId)) }

    public func all() async -> [TwoFactorRecord] {
        var result: [TwoFactorRecord] = []
        for shard in shards { result += await shard.all() }
        return result
    }

    public func restore(_ record: TwoFactorRecord) async { await shard(record.userId).restore(record) }
    public func restoreDelete(userId: String) async { await shard(userId).restoreDelete(userId) }
}
