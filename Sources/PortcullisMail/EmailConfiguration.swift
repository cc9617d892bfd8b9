import PortcullisCore

/// How mail leaves: LibreChat's `EMAIL_*` and `MAILGUN_*` variables. Mailgun's HTTP API takes
/// precedence when configured, as in LibreChat.
public struct EmailConfiguration: Sendable {
    public enum Encryption: String, Sendable {
        /// Implicit TLS from the first byte (`smtps`).
        case tls
        /// STARTTLS, required.
        case starttls
        /// STARTTLS when the server offers it.
        case opportunistic
    }

    public enum Mode: Sendable, Equatable {
        case none
        case smtp
        case mailgun
    }

    public var mode: Mode
    public var host: String
    public var port: Int
    public var encryption: Encryption
    public var encryptionHostname: String?
    public var allowSelfSigned: Bool
    public var username: String?
    public var password: String?
    public var from: String
    public var fromName: String
    public var mailgunKey: String?
    public var mailgunDomain: String?
    public var mailgunHost: String
    public var timeoutSeconds: Int

    /// nodemailer's well-known services: host, port, implicit TLS.
    static let services: [String: (String, Int, Bool)] = [
        "gmail": ("smtp.gmail.com", 465, true), "googlemail": ("smtp.gmail.com", 465, true),
        "outlook": ("smtp-mail.outlook.com", 587, false), "hotmail": ("smtp-mail.outlook.com", 587, false),
        "outlook365": ("smtp.office365.com", 587, false), "office365": ("smtp.office365.com", 587, false),
        "yahoo": ("smtp.mail.yahoo.com", 465, true), "icloud": ("smtp.mail.me.com", 587, false),
        "zoho": ("smtp.zoho.com", 465, true), "sendgrid": ("smtp.sendgrid.net", 587, false),
        "mailgun": ("smtp.mailgun.org", 465, true), "ses": ("email-smtp.us-east-1.amazonaws.com", 465, true),
        "ses-us-east-1": ("email-smtp.us-east-1.amazonaws.com", 465, true),
        "ses-us-west-2": ("email-smtp.us-west-2.amazonaws.com", 465, true),
        "ses-eu-west-1": ("email-smtp.eu-west-1.amazonaws.com", 465, true),
        "fastmail": ("smtp.fastmail.com", 465, true),
        "gmx": ("mail.gmx.com", 587, false), "mailjet": ("in.mailjet.com", 587, false),
        "postmark": ("smtp.postmarkapp.com", 2525, false),
        "sparkpost": ("smtp.sparkpostmail.com", 587, false), "aol": ("smtp.aol.com", 587, false),
        "yandex": ("smtp.yandex.ru", 465, true),
    ]

    public init(environment: Environment, appTitle: String) throws(ConfigurationError) {
        from = environment["EMAIL_FROM"] ?? ""
        fromName = environment["EMAIL_FROM_NAME"] ?? appTitle
        mailgunKey = environment["MAILGUN_API_KEY"]
        mailgunDomain = environment["MAILGUN_DOMAIN"]
        mailgunHost = environment["MAILGUN_HOST"] ?? "https://api.mailgun.net"
        username = environment["EMAIL_USERNAME"]
        password = environment["EMAIL_PASSWORD"]
        allowSelfSigned = try environment.bool("EMAIL_ALLOW_SELFSIGNED", default: false)
        encryptionHostname = environment["EMAIL_ENCRYPTION_HOSTNAME"]
        timeoutSeconds = Int(try environment.integer("EMAIL_TIMEOUT", default: 30, range: 1...600))
        var implicitTLS = false
        var host = environment["EMAIL_HOST"] ?? ""
        var port = 0
        if let service = environment["EMAIL_SERVICE"]?.lowercased(), host.isEmpty {
            guard let known = Self.services[service] else {
                throw ConfigurationError(
                    "EMAIL_SERVICE", "unknown service \"\(service.prefix(32))\"; set EMAIL_HOST and EMAIL_PORT instead")
            }
            (host, port, implicitTLS) = known
        }
        if environment["EMAIL_PORT"] != nil {
            port = Int(try environment.integer("EMAIL_PORT", default: 25, range: 1...65535))
        } else if port == 0 {
            port = 25
        }
        switch (environment["EMAIL_ENCRYPTION"] ?? "").lowercased() {
        case "tls": encryption = .tls
        case "starttls": encryption = .starttls
        default: encryption = implicitTLS || port == 465 ? .tls : .opportunistic
        }
        self.host = host
        self.port = port
        if !AuthConfiguration.isEmailConfigured(environment) {
            mode = .none
        } else if mailgunKey != nil && mailgunDomain != nil {
            mode = .mailgun
        } else {
            mode = host.isEmpty ? .none : .smtp
        }
    }

    /// One line for the start-up log.
    public var summary: String {
        switch mode {
        case .none:
            "email: not configured (users are auto-verified; password reset needs email or ALLOW_UNSECURED_PASSWORD_RESET)"
        case .mailgun: "email: Mailgun API (\(mailgunDomain ?? "")) from \(from)"
        case .smtp:
            "email: SMTP \(host):\(port), \(encryption.rawValue)\(allowSelfSigned ? ", self-signed certificates ACCEPTED" : ""), "
                + "\(username != nil && password != nil ? "with" : "without") authentication, from \(from)"
        }
    }
}
