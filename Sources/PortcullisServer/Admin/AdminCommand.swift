/// An operator command: what `portcullis <command>` asks for, whether the running server carries
/// it out (over the admin socket) or the command itself does (offline, on the locked data
/// directory). Both run ``AdminOperations/perform(_:)``.
public enum AdminCommand: Sendable, Equatable {
    case listUsers
    case createUser(
        email: String, name: String?, username: String?, password: String?, emailVerified: Bool, provider: String)
    case deleteUser(email: String)
    case setPassword(email: String, password: String)
    case stats
    /// LibreChat's mongoexport documents (JSON lines or an array), and the hex `CREDS_KEY` its
    /// 2FA secrets were encrypted with (default: ours).
    case importUsers([UInt8], credsKey: String? = nil)
    case exportUsers
    case listBans
    case ban(email: String, minutes: Int64)
    /// A subject as listed (`user:<id>`, `ip:<address>`), or the user with that email.
    case unban(subject: String?, email: String?)
    case invite(email: String)
    case snapshot
    case resetTerms
    /// 2FA off for a user who lost their authenticator and codes; their sessions end.
    case disableTwoFactor(email: String)
    /// Audit entries (JSON lines, newest first): `user` an email or id, `kind` comma-separated,
    /// `since`/`until` ISO 8601 or milliseconds.
    case audit(user: String?, kind: String?, since: String?, until: String?, limit: String?)
    /// Registers an OpenID client; the answer holds its secret, shown this once.
    case addClient(
        name: String, redirectURIs: [String], postLogoutURIs: [String], isPublic: Bool, firstParty: Bool,
        signingAlgorithm: String)
    case listClients
    case removeClient(id: String)
    case rotateClientSecret(id: String)
    /// Adds a new pair of OpenID signing keys; the old ones stay published until their tokens expire.
    case rotateKeys
    case listKeys
}

/// A command's answer: a status code and a JSON document (JSON lines for an export).
public struct AdminAnswer: Sendable, Equatable {
    public var status: Int
    public var body: [UInt8]

    public init(status: Int, body: [UInt8]) {
        self.status = status
        self.body = body
    }

    static func json(_ object: Any, status: Int = 200) -> AdminAnswer {
        AdminAnswer(status: status, body: UserJSON.data(object))
    }
    static func message(_ text: String, status: Int) -> AdminAnswer { json(["message": text], status: status) }
}
