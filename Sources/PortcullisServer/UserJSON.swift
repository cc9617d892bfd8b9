import Foundation
import PortcullisCore
import PortcullisHTTP

/// How users appear in API answers, in LibreChat's shapes.
enum UserJSON {
    static func isoDate(_ milliseconds: Int64) -> String {
        HTTPDate.iso8601(millisecondsSince1970: milliseconds)
    }

    /// A live ban as operators and admins see it.
    static func ban(_ ban: Ban) -> [String: Any] {
        ["subject": ban.subject, "type": ban.type, "expiresAt": isoDate(ban.expiresAt)]
    }

    /// For occasional answers (config, admin); keys sorted so output is stable.
    static func data(_ object: Any) -> [UInt8] {
        (try? Array(JSONSerialization.data(withJSONObject: object, options: [.withoutEscapingSlashes, .sortedKeys])))
            ?? Array("{}".utf8)
    }
}

/// A user in LibreChat's JSON shape and key order; `withProviderIds` adds the provider ids (the
/// login answer).
struct UserPayload {
    let user: User
    let withProviderIds: Bool

    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.field("_id", user.id)
        json.field("id", user.id)
        json.field("name", user.name)
        json.field("username", user.username)
        json.field("email", user.email)
        json.field("emailVerified", user.emailVerified)
        json.field("avatar", user.avatar)
        json.field("provider", user.provider)
        json.field("role", user.role)
        json.key("plugins")
        json.raw("[]")
        json.field("twoFactorEnabled", user.twoFactorEnabled)
        json.field("termsAccepted", user.termsAccepted)
        json.field("termsAcceptedAt", user.termsAcceptedAt.map(UserJSON.isoDate))
        json.key("personalization")
        json.raw(#"{"memories":true}"#)
        json.key("favorites")
        json.raw("[]")
        json.field("createdAt", UserJSON.isoDate(user.createdAt))
        json.field("updatedAt", UserJSON.isoDate(user.updatedAt))
        if withProviderIds {
            for (key, value) in user.providerIds.sorted(by: { $0.key < $1.key }) { json.field(key, value) }
            if let issuer = user.openidIssuer { json.field("openidIssuer", issuer) }
        }
        json.endObject()
    }

    var bytes: [UInt8] {
        var json = JSONWriter()
        write(to: &json)
        return json.bytes
    }
}

/// `{token, user}`.
struct SessionPayload {
    let token: String
    let user: UserPayload

    var bytes: [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        json.field("token", token)
        json.key("user")
        user.write(to: &json)
        json.endObject()
        return json.bytes
    }
}
