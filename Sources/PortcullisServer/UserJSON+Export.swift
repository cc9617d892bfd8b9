import Foundation
import PortcullisCore
import PortcullisCrypto
import PortcullisHTTP

/// LibreChat's `mongoexport` shape for users, read by `import-users` and written by `export-users`.
extension UserJSON {
    static let providerIdKeys = [
        "googleId", "facebookId", "openidId", "samlId", "ldapId", "githubId", "discordId", "appleId", "idOnTheSource",
    ]

    static func exported(_ user: User) -> [String: Any] {
        var object: [String: Any] = [
            "_id": ["$oid": user.id], "name": user.name, "username": user.username, "email": user.email,
            "emailVerified": user.emailVerified, "provider": user.provider, "role": user.role,
            "twoFactorEnabled": user.twoFactorEnabled, "termsAccepted": user.termsAccepted,
            "createdAt": ["$date": isoDate(user.createdAt)], "updatedAt": ["$date": isoDate(user.updatedAt)],
        ]
        if let hash = user.passwordHash { object["password"] = hash }
        object["avatar"] = user.avatar ?? NSNull()
        for (key, value) in user.providerIds { object[key] = value }
        if let issuer = user.openidIssuer { object["openidIssuer"] = issuer }
        if let accepted = user.termsAcceptedAt { object["termsAcceptedAt"] = ["$date": isoDate(accepted)] }
        return object
    }

    enum ImportError: Error, CustomStringConvertible {
        case invalid(String)
        var description: String {
            switch self {
            case .invalid(let why): why
            }
        }
    }

    /// A user from one exported document; `_id`, hashes, provider ids, role and verification are kept.
    static func imported(_ object: [String: Any], now: Int64) throws(ImportError) -> User {
        let id: String
        if let oid = (object["_id"] as? [String: Any])?["$oid"] as? String {
            id = oid.lowercased()
        } else if let plain = object["_id"] as? String {
            id = plain.lowercased()
        } else {
            throw .invalid("missing _id")
        }
        guard ObjectID.isValid(id) else { throw .invalid("_id is not 24 hex digits") }
        guard let rawEmail = object["email"] as? String, Validation.isValidEmail(User.normalizeEmail(rawEmail)) else {
            throw .invalid("missing or invalid email")
        }
        let hash = object["password"] as? String
        if let hash {
            do { _ = try PasswordHasher.format(of: hash) } catch { throw .invalid("unsupported password hash") }
        }
        var providerIds: [String: String] = [:]
        for key in providerIdKeys {
            if let value = object[key] as? String, !value.isEmpty { providerIds[key] = value }
        }
        return User(
            id: id, name: object["name"] as? String ?? "", username: (object["username"] as? String ?? "").lowercased(),
            email: User.normalizeEmail(rawEmail), emailVerified: object["emailVerified"] as? Bool ?? false,
            passwordHash: hash, avatar: object["avatar"] as? String, provider: object["provider"] as? String ?? "local",
            role: object["role"] as? String ?? Role.user, providerIds: providerIds,
            openidIssuer: object["openidIssuer"] as? String,
            twoFactorEnabled: object["twoFactorEnabled"] as? Bool ?? false,
            termsAccepted: object["termsAccepted"] as? Bool ?? false,
            termsAcceptedAt: date(object["termsAcceptedAt"]), createdAt: date(object["createdAt"]) ?? now,
            updatedAt: date(object["updatedAt"]) ?? now)
    }

    /// `{"$date": "ISO"}`, `{"$date": {"$numberLong": "ms"}}`, an ISO string, or milliseconds.
    static func date(_ value: Any?) -> Int64? {
        if let wrapper = value as? [String: Any] { return date(wrapper["$date"] ?? wrapper["$numberLong"]) }
        if let number = value as? NSNumber { return number.int64Value }
        if let text = value as? String {
            if let milliseconds = Int64(text) { return milliseconds }
            if let parsed = HTTPDate.parseISO8601(text) { return parsed }
        }
        return nil
    }

    /// Documents from JSON lines or one JSON array.
    static func documents(_ bytes: [UInt8]) -> [Result<[String: Any], ImportError>] {
        let data = Data(bytes)
        if let array = try? JSONSerialization.jsonObject(with: data) as? [Any] {
            return array.map { ($0 as? [String: Any]).map { .success($0) } ?? .failure(.invalid("not an object")) }
        }
        return bytes.split(separator: UInt8(ascii: "\n")).compactMap { line in
            let trimmed = line.drop { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
            guard !trimmed.isEmpty else { return nil }
            guard let object = try? JSONSerialization.jsonObject(with: Data(trimmed)) as? [String: Any] else {
                return .failure(.invalid("not a JSON object"))
            }
            return .success(object)
        }
    }
}
