/// `OPENID_REQUIRED_ROLE` and `OPENID_ADMIN_ROLE`: roles read from a
/// configured path in a configured token (id, access or userinfo claims).
public enum OpenIDRoles {
    /// Role names in a claim: an array of strings, or one string split on whitespace and commas.
    public static func roles(in claim: JSONValue?) -> [String] {
        switch claim {
        case .array(let items)?: items.compactMap(\.string)
        case .string(let text)?: text.split { $0 == "," || $0.isWhitespace }.map(String.init)
        default: []
        }
    }

    /// The comma-separated role list of a variable, trimmed, empties dropped.
    public static func list(_ variable: String) -> [String] {
        variable.split(separator: ",").map {
            String($0.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
        }
        .filter { !$0.isEmpty }
    }

    /// Whether the claims hold at least one of the required roles (exact matches only).
    public static func hasRequiredRole(_ required: [String], claims: JSONValue, path: String) -> Bool {
        let held = Set(roles(in: claims.value(at: path)))
        return required.contains { held.contains($0) }
    }

    /// What a login does to the ADMIN role.
    public enum AdminDecision: Equatable, Sendable {
        case grant
        /// Admin role, path and token kind are all configured and the claim does not grant it.
        case revoke
        case unchanged
    }

    /// A matching role, or a boolean `true` claim, grants ADMIN; when every admin variable is
    /// configured, anything else revokes it.
    public static func adminDecision(
        adminRole: String, claims: JSONValue, path: String, fullyConfigured: Bool
    ) -> AdminDecision {
        let claim = claims.value(at: path)
        if claim == .bool(true) || roles(in: claim).contains(adminRole) { return .grant }
        return fullyConfigured ? .revoke : .unchanged
    }
}
