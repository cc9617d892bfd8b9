import Foundation
import PortcullisCore

/// How users appear in API answers, in LibreChat's shapes.
enum UserJSON {
    static func isoDate(_ milliseconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }

    /// `GET /api/user`: LibreChat's allow-list.
    static func allowListed(_ user: User) -> [String: Any] {
        var object: [String: Any] = [
            "_id": user.id, "id": user.id, "name": user.name, "username": user.username, "email": user.email,
            "emailVerified": user.emailVerified, "provider": user.provider, "role": user.role, "plugins": [String](),
            "twoFactorEnabled": user.twoFactorEnabled, "termsAccepted": user.termsAccepted,
            "personalization": ["memories": true], "favorites": [String](),
            "createdAt": isoDate(user.createdAt), "updatedAt": isoDate(user.updatedAt),
        ]
        object["avatar"] = user.avatar ?? NSNull()
        return object
    }

    /// The `user` of `{token, user}`: the document without secrets, plus `id`.
    static func session(_ user: User) -> [String: Any] {
        var object = allowListed(user)
        for (key, value) in user.providerIds { object[key] = value }
        if let issuer = user.openidIssuer { object["openidIssuer"] = issuer }
        return object
    }

    static func data(_ object: Any) -> [UInt8] {
        (try? Array(JSONSerialization.data(withJSONObject: object, options: [.withoutEscapingSlashes, .sortedKeys]))) ?? Array("{}".utf8)
    }
}
