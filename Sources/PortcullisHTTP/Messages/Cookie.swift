import PortcullisSupport

/// `Cookie` header parsing (RFC 6265 §5.4).
public enum Cookie {
    /// Name/value pairs of one `Cookie` header; pairs without `=` or with an empty name are skipped,
    /// a value in double quotes is unquoted.
    public static func parse(_ header: String) -> [(name: String, value: String)] {
        header.split(separator: ";").compactMap { pair in
            guard let equals = pair.firstIndex(of: "=") else { return nil }
            let name = pair[..<equals].trimmingWhitespace()
            var value = pair[pair.index(after: equals)...].trimmingWhitespace()
            guard !name.isEmpty else { return nil }
            if value.count >= 2, value.first == "\"", value.last == "\"" {
                value = value.dropFirst().dropLast()
            }
            return (String(name), String(value))
        }
    }
}

/// A `Set-Cookie` value (RFC 6265 §4.1).
public struct SetCookie: Sendable, Equatable {
    public enum SameSite: String, Sendable {
        case strict = "Strict"
        case lax = "Lax"
        case none = "None"
    }

    public var name: String
    public var value: String
    public var path: String? = "/"
    public var domain: String?
    /// Seconds since 1970; written as an IMF-fixdate `Expires`.
    public var expires: Int64?
    public var maxAge: Int?
    public var httpOnly = true
    public var secure = false
    public var sameSite: SameSite? = .strict

    public init(
        name: String, value: String, path: String? = "/", domain: String? = nil, expires: Int64? = nil,
        maxAge: Int? = nil, httpOnly: Bool = true, secure: Bool = false, sameSite: SameSite? = .strict
    ) {
        self.name = name
        self.value = value
        self.path = path
        self.domain = domain
        self.expires = expires
        self.maxAge = maxAge
        self.httpOnly = httpOnly
        self.secure = secure
        self.sameSite = sameSite
    }

    /// A cookie that tells the browser to delete `name` (empty value, expired in 1970).
    public static func clearing(
        _ name: String, path: String? = "/", secure: Bool = false, sameSite: SameSite? = .strict
    ) -> SetCookie {
        SetCookie(name: name, value: "", path: path, expires: 0, httpOnly: true, secure: secure, sameSite: sameSite)
    }

    /// The header value. Characters outside the cookie-octet set are percent-encoded, as
    /// Express's `res.cookie` does, so a value can never inject attributes.
    public var headerValue: String {
        var parts = ["\(name)=\(Self.encode(value))"]
        if let maxAge { parts.append("Max-Age=\(maxAge)") }
        if let domain { parts.append("Domain=\(domain)") }
        if let path { parts.append("Path=\(path)") }
        if let expires { parts.append("Expires=\(HTTPDate.format(secondsSince1970: expires))") }
        if httpOnly { parts.append("HttpOnly") }
        if secure { parts.append("Secure") }
        if let sameSite { parts.append("SameSite=\(sameSite.rawValue)") }
        return parts.joined(separator: "; ")
    }

    static func encode(_ value: String) -> String { PercentEncoding.cookieValue(value) }
}
