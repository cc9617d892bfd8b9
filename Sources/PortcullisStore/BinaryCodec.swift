import PortcullisCore

/// The layout of a user or session record. Records are always written in the newest layout; older
/// ones are still read (journal records by their tag, snapshot records by the file's version).
enum RecordLayout: Sendable {
    /// Snapshot versions 1–2 and journal tags 1 (user) and 3 (session).
    case v1
    /// Users gain `termsAcceptedAt` and `devicesRevokedAt`, sessions their OpenID `idToken`.
    case v2
}

/// Little-endian, length-prefixed encoding of users, sessions and mutations, shared by snapshots
/// and the journal. Decoding is bounds-checked everywhere: these bytes come from files.
struct BinaryWriter {
    var bytes: [UInt8] = []

    mutating func u8(_ value: UInt8) { bytes.append(value) }
    mutating func u32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u64(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func i64(_ value: Int64) { u64(UInt64(bitPattern: value)) }
    mutating func bool(_ value: Bool) { u8(value ? 1 : 0) }
    mutating func data(_ value: [UInt8]) {
        u32(UInt32(value.count))
        bytes.append(contentsOf: value)
    }
    mutating func string(_ value: String) { data(Array(value.utf8)) }
    mutating func optionalString(_ value: String?) {
        bool(value != nil)
        if let value { string(value) }
    }

    mutating func user(_ user: User, layout: RecordLayout = .v2) {
        string(user.id)
        string(user.name)
        string(user.username)
        string(user.email)
        bool(user.emailVerified)
        optionalString(user.passwordHash)
        optionalString(user.avatar)
        string(user.provider)
        string(user.role)
        u32(UInt32(user.providerIds.count))
        for (key, value) in user.providerIds.sorted(by: { $0.key < $1.key }) {
            string(key)
            string(value)
        }
        optionalString(user.openidIssuer)
        bool(user.twoFactorEnabled)
        bool(user.termsAccepted)
        i64(user.createdAt)
        i64(user.updatedAt)
        guard layout == .v2 else { return }
        optionalInt64(user.termsAcceptedAt)
        i64(user.devicesRevokedAt)
    }

    mutating func optionalInt64(_ value: Int64?) {
        bool(value != nil)
        if let value { i64(value) }
    }

    mutating func session(_ session: Session, layout: RecordLayout = .v2) {
        string(session.id)
        string(session.userId)
        data(session.currentHash)
        bool(session.previousHash != nil)
        if let previous = session.previousHash { data(previous) }
        i64(Int64(session.generation))
        i64(session.rotatedAt)
        i64(session.createdAt)
        i64(session.expiresAt)
        if layout == .v2 { optionalString(session.idToken) }
    }

    mutating func mutation(_ mutation: Mutation) {
        switch mutation {
        case .putUser(let user): u8(13); self.user(user)
        case .deleteUser(let id): u8(2); string(id)
        case .putSession(let session): u8(14); self.session(session)
        case .deleteSession(let id): u8(4); string(id)
        case .deleteSessionsOfUser(let userId): u8(5); string(userId)
        case .putViolation(let subject, let type, let count): u8(6); violation(subject: subject, type: type, count: count)
        case .putBan(let ban): u8(7); self.ban(ban)
        case .deleteBan(let subject): u8(8); string(subject)
        case .putToken(let token): u8(9); self.token(token)
        case .deleteToken(let hash): u8(10); string(hash)
        case .putMail(let mail): u8(11); self.mail(mail)
        case .deleteMail(let id): u8(12); string(id)
        case .putLockout(let window): u8(15); lockout(window)
        }
    }

    mutating func lockout(_ window: LockoutWindow) {
        string(window.key)
        u32(UInt32(window.failures.count))
        for failure in window.failures { i64(failure) }
    }

    mutating func token(_ token: OneTimeToken) {
        string(token.hash)
        string(token.kind.rawValue)
        string(token.userId)
        string(token.email)
        i64(token.expiresAt)
    }

    mutating func mail(_ mail: OutboxMail) {
        string(mail.id)
        string(mail.to)
        string(mail.subject)
        data(Array(mail.text.utf8))
        data(Array(mail.html.utf8))
        i64(Int64(mail.attempts))
        i64(mail.nextAttempt)
    }

    mutating func violation(subject: String, type: String, count: Int) {
        string(subject)
        string(type)
        i64(Int64(count))
    }

    mutating func ban(_ ban: Ban) {
        string(ban.subject)
        i64(ban.expiresAt)
        string(ban.type)
    }
}

struct DecodeError: Error, CustomStringConvertible {
    var description: String
}

struct BinaryReader {
    let bytes: [UInt8]
    var offset: Int
    let end: Int

    init(_ bytes: [UInt8], from offset: Int = 0, to end: Int? = nil) {
        self.bytes = bytes
        self.offset = offset
        self.end = end ?? bytes.count
    }

    var atEnd: Bool { offset >= end }

    mutating func take(_ count: Int) throws(DecodeError) -> ArraySlice<UInt8> {
        guard count >= 0, end - offset >= count else { throw DecodeError(description: "truncated at byte \(offset)") }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    mutating func u8() throws(DecodeError) -> UInt8 { try take(1).first! }
    mutating func u32() throws(DecodeError) -> UInt32 {
        guard end - offset >= 4 else { throw DecodeError(description: "truncated at byte \(offset)") }
        defer { offset += 4 }
        return bytes.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }
    }
    mutating func u64() throws(DecodeError) -> UInt64 {
        guard end - offset >= 8 else { throw DecodeError(description: "truncated at byte \(offset)") }
        defer { offset += 8 }
        return bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }
    }
    mutating func i64() throws(DecodeError) -> Int64 { Int64(bitPattern: try u64()) }
    mutating func bool() throws(DecodeError) -> Bool {
        switch try u8() {
        case 0: return false
        case 1: return true
        default: throw DecodeError(description: "bad boolean at byte \(offset - 1)")
        }
    }
    mutating func data(limit: Int = 1 << 20) throws(DecodeError) -> [UInt8] {
        let count = Int(try u32())
        guard count <= limit else { throw DecodeError(description: "field of \(count) bytes at byte \(offset) exceeds \(limit)") }
        return Array(try take(count))
    }
    mutating func string() throws(DecodeError) -> String {
        let count = Int(try u32())
        guard count <= 64 * 1024 else { throw DecodeError(description: "string of \(count) bytes at byte \(offset) is too long") }
        let raw = try take(count)
        guard let text = String(validating: raw, as: UTF8.self) else { throw DecodeError(description: "invalid UTF-8 before byte \(offset)") }
        return text
    }
    mutating func optionalString() throws(DecodeError) -> String? { try bool() ? try string() : nil }
    mutating func optionalInt64() throws(DecodeError) -> Int64? { try bool() ? try i64() : nil }

    mutating func user(_ layout: RecordLayout) throws(DecodeError) -> User {
        let id = try string(), name = try string(), username = try string(), email = try string()
        let emailVerified = try bool()
        let passwordHash = try optionalString(), avatar = try optionalString()
        let provider = try string(), role = try string()
        let count = Int(try u32())
        guard count <= 64 else { throw DecodeError(description: "too many provider ids at byte \(offset)") }
        var providerIds: [String: String] = [:]
        for _ in 0..<count { providerIds[try string()] = try string() }
        let issuer = try optionalString()
        let twoFactor = try bool(), terms = try bool()
        let created = try i64(), updated = try i64()
        var termsAcceptedAt: Int64?
        var devicesRevokedAt: Int64 = 0
        if layout == .v2 {
            termsAcceptedAt = try optionalInt64()
            devicesRevokedAt = try i64()
        }
        return User(id: id, name: name, username: username, email: email, emailVerified: emailVerified, passwordHash: passwordHash,
                    avatar: avatar, provider: provider, role: role, providerIds: providerIds, openidIssuer: issuer,
                    twoFactorEnabled: twoFactor, termsAccepted: terms, termsAcceptedAt: termsAcceptedAt,
                    devicesRevokedAt: devicesRevokedAt, createdAt: created, updatedAt: updated)
    }

    mutating func session(_ layout: RecordLayout) throws(DecodeError) -> Session {
        let id = try string(), userId = try string()
        let current = try data(limit: 64)
        let previous = try bool() ? try data(limit: 64) : nil
        let generation = Int(try i64())
        let rotatedAt = try i64(), createdAt = try i64(), expiresAt = try i64()
        let idToken = layout == .v2 ? try optionalString() : nil
        return Session(id: id, userId: userId, currentHash: current, previousHash: previous, generation: generation,
                       rotatedAt: rotatedAt, createdAt: createdAt, expiresAt: expiresAt, idToken: idToken)
    }

    mutating func lockout() throws(DecodeError) -> LockoutWindow {
        let key = try string()
        let count = Int(try u32())
        guard count <= LockoutWindow.maximumFailures else { throw DecodeError(description: "lockout window of \(count) failures at byte \(offset)") }
        var failures: [Int64] = []
        failures.reserveCapacity(count)
        for _ in 0..<count { failures.append(try i64()) }
        return LockoutWindow(key: key, failures: failures)
    }

    mutating func token() throws(DecodeError) -> OneTimeToken {
        let hash = try string()
        guard let kind = OneTimeToken.Kind(rawValue: try string()) else { throw DecodeError(description: "unknown token kind at byte \(offset)") }
        return OneTimeToken(hash: hash, kind: kind, userId: try string(), email: try string(), expiresAt: try i64())
    }

    mutating func mail() throws(DecodeError) -> OutboxMail {
        let id = try string(), to = try string(), subject = try string()
        guard let text = String(validating: try data(), as: UTF8.self), let html = String(validating: try data(), as: UTF8.self) else {
            throw DecodeError(description: "invalid UTF-8 in a mail before byte \(offset)")
        }
        return OutboxMail(id: id, to: to, subject: subject, text: text, html: html, attempts: Int(try i64()), nextAttempt: try i64())
    }

    mutating func ban() throws(DecodeError) -> Ban {
        Ban(subject: try string(), expiresAt: try i64(), type: try string())
    }

    mutating func mutation() throws(DecodeError) -> Mutation {
        switch try u8() {
        case 1: return .putUser(try user(.v1))
        case 13: return .putUser(try user(.v2))
        case 2: return .deleteUser(id: try string())
        case 3: return .putSession(try session(.v1))
        case 14: return .putSession(try session(.v2))
        case 4: return .deleteSession(id: try string())
        case 5: return .deleteSessionsOfUser(userId: try string())
        case 6: return .putViolation(subject: try string(), type: try string(), count: Int(try i64()))
        case 7: return .putBan(try ban())
        case 8: return .deleteBan(subject: try string())
        case 9: return .putToken(try token())
        case 10: return .deleteToken(hash: try string())
        case 11: return .putMail(try mail())
        case 12: return .deleteMail(id: try string())
        case 15: return .putLockout(try lockout())
        case let tag: throw DecodeError(description: "unknown mutation tag \(tag) at byte \(offset - 1)")
        }
    }
}
