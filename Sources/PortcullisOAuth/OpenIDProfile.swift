/// A user profile from OpenID claims (id_token merged with userinfo), mapped as LibreChat does
/// (its OpenID strategy's claims and mapping).
public struct OpenIDProfile: Equatable, Sendable {
    public var subject: String
    public var email: String?
    public var emailVerified: Bool
    public var username: String
    public var name: String

    /// Claim names chosen by `OPENID_EMAIL_CLAIM`, `OPENID_USERNAME_CLAIM`, `OPENID_NAME_CLAIM`.
    public struct ClaimNames: Sendable {
        public var email: String?
        public var username: String?
        public var name: String?

        public init(email: String? = nil, username: String? = nil, name: String? = nil) {
            self.email = email
            self.username = username
            self.name = name
        }
    }

    public init(subject: String, email: String?, emailVerified: Bool, username: String, name: String) {
        self.subject = subject
        self.email = email
        self.emailVerified = emailVerified
        self.username = username
        self.name = name
    }

    /// Nil without a `sub`, or without anything to name the user by.
    public init?(claims: JSONValue, names: ClaimNames = ClaimNames()) {
        guard let subject = claims.value(at: "sub")?.string, !subject.isEmpty else { return nil }
        func text(_ claim: String) -> String? {
            switch claims.value(at: claim) {
            case .string(let value)?: value.isEmpty ? nil : value
            // Arrays (e.g. a username claim holding several values) are joined with "_".
            case .array(let items)?: items.compactMap(\.string).joined(separator: "_").nilIfEmpty
            default: nil
            }
        }
        func first(_ claims: [String?]) -> String? { claims.lazy.compactMap { $0 }.compactMap(text).first }

        let email = names.email.flatMap(text) ?? first(["email", "preferred_username", "upn"])
        guard let username = names.username.flatMap(text) ?? first(["preferred_username", "username"]) ?? email else {
            return nil
        }
        let given = text("given_name")
        let family = text("family_name")
        let fullName = [given, family].compactMap { $0 }.joined(separator: " ").nilIfEmpty
        self.subject = subject
        self.email = email
        self.username = username
        self.name = names.name.flatMap(text) ?? fullName ?? username
        emailVerified = claims.value(at: "email_verified")?.bool ?? false
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
