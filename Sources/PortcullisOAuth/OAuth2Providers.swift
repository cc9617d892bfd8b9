import FoundationEssentials
import PortcullisCore

/// GitHub (and GitHub Enterprise through `GITHUB_ENTERPRISE_BASE_URL`): the profile from `/user`,
/// the email from `/user/emails` (the primary one if verified, else any verified one).
public struct GitHubProvider: SocialProvider {
    public let name = "github"
    public var client: AuthorizationCodeClient
    /// `https://github.com`, or the enterprise server.
    public var webBase: String
    /// `https://api.github.com`, or `<enterprise>/api/v3`.
    public var apiBase: String
    public var userAgent: String
    let requests: ProviderRequests

    public init(client: AuthorizationCodeClient, enterpriseBaseURL: String?, userAgent: String?, http: any OutboundHTTP)
    {
        self.client = client
        let enterprise = enterpriseBaseURL?.withoutTrailingSlash
        webBase = enterprise ?? "https://github.com"
        apiBase = enterprise.map { $0 + "/api/v3" } ?? "https://api.github.com"
        self.userAgent = userAgent ?? "Portcullis"
        requests = ProviderRequests(http: http)
    }

    public func authorizationURL(for flow: FlowState) async throws(SocialLoginError) -> String {
        client.authorizationURL(endpoint: webBase + "/login/oauth/authorize", flow: flow, includeNonce: false)
    }

    public func profile(
        code: String, flow: FlowState, fields: [String: String]
    ) async throws(SocialLoginError) -> SocialIdentity {
        let tokens = try await requests.token(
            .form(webBase + "/login/oauth/access_token", client.tokenRequestBody(code: code, flow: flow)))
        let headers = [("User-Agent", userAgent), ("X-GitHub-Api-Version", "2022-11-28")]
        let user = try await requests.json(
            apiBase + "/user", endpoint: "GitHub /user", bearer: tokens.accessToken, headers: headers)
        let emails = try await requests.json(
            apiBase + "/user/emails", endpoint: "GitHub /user/emails", bearer: tokens.accessToken, headers: headers)
        guard let id = user["id"]?.identifier, let login = user["login"]?.string else {
            throw .profile("GitHub user without id or login")
        }
        guard case .array(let list) = emails else { throw .profile("GitHub emails is not a list") }
        let verified = list.filter { $0["verified"]?.bool == true }
        guard let chosen = (verified.first { $0["primary"]?.bool == true } ?? verified.first)?["email"]?.string else {
            throw .profile("GitHub account has no verified email")
        }
        return SocialIdentity(
            provider: name, id: id, email: chosen, emailVerified: true, username: login,
            name: user["name"]?.string ?? login, avatar: user["avatar_url"]?.string)
    }
}

/// Discord: `identify email`, `prompt=none`; avatars on Discord's CDN.
public struct DiscordProvider: SocialProvider {
    public let name = "discord"
    public var client: AuthorizationCodeClient
    /// `https://discord.com` (the API is under `/api`).
    public var base: String
    public var cdn: String
    let requests: ProviderRequests

    public init(client: AuthorizationCodeClient, baseURL: String?, http: any OutboundHTTP) {
        self.client = client
        base = baseURL?.withoutTrailingSlash ?? "https://discord.com"
        cdn = "https://cdn.discordapp.com"
        requests = ProviderRequests(http: http)
    }

    public func authorizationURL(for flow: FlowState) async throws(SocialLoginError) -> String {
        client.authorizationURL(
            endpoint: base + "/oauth2/authorize", flow: flow, includeNonce: false, extra: [("prompt", "none")])
    }

    public func profile(
        code: String, flow: FlowState, fields: [String: String]
    ) async throws(SocialLoginError) -> SocialIdentity {
        let tokens = try await requests.token(
            .form(base + "/api/oauth2/token", client.tokenRequestBody(code: code, flow: flow)))
        let user = try await requests.json(
            base + "/api/users/@me", endpoint: "Discord /users/@me", bearer: tokens.accessToken)
        guard let id = user["id"]?.identifier, let username = user["username"]?.string else {
            throw .profile("Discord user without id")
        }
        return SocialIdentity(
            provider: name, id: id, email: user["email"]?.string,
            // LibreChat assumes true; Discord says whether the address is verified, so we use that.
            emailVerified: user["verified"]?.bool ?? false, username: username,
            name: user["global_name"]?.string ?? username,
            avatar: avatarURL(id: id, hash: user["avatar"]?.string, discriminator: user["discriminator"]?.string))
    }

    /// `a_` hashes are animated (gif); without a hash, one of the default avatars.
    func avatarURL(id: String, hash: String?, discriminator: String?) -> String {
        if let hash, !hash.isEmpty {
            return "\(cdn)/avatars/\(id)/\(hash).\(hash.hasPrefix("a_") ? "gif" : "png")"
        }
        let index: UInt64
        if let discriminator, let number = UInt64(discriminator), number != 0 {
            index = number % 5
        } else {
            index = ((UInt64(id) ?? 0) >> 22) % 6
        }
        return "\(cdn)/embed/avatars/\(index).png"
    }
}

/// Facebook: `public_profile` (and `email`), the profile from the Graph API's `/me`.
public struct FacebookProvider: SocialProvider {
    public let name = "facebook"
    public var client: AuthorizationCodeClient
    /// `https://www.facebook.com/v18.0` (the dialog) and `https://graph.facebook.com/v18.0`.
    public var dialogBase: String
    public var graphBase: String
    let requests: ProviderRequests

    public init(client: AuthorizationCodeClient, dialogBaseURL: String?, graphBaseURL: String?, http: any OutboundHTTP)
    {
        self.client = client
        dialogBase = dialogBaseURL?.withoutTrailingSlash ?? "https://www.facebook.com/v18.0"
        graphBase = graphBaseURL?.withoutTrailingSlash ?? "https://graph.facebook.com/v18.0"
        requests = ProviderRequests(http: http)
    }

    public func authorizationURL(for flow: FlowState) async throws(SocialLoginError) -> String {
        client.authorizationURL(endpoint: dialogBase + "/dialog/oauth", flow: flow, includeNonce: false)
    }

    public func profile(
        code: String, flow: FlowState, fields: [String: String]
    ) async throws(SocialLoginError) -> SocialIdentity {
        let tokens = try await requests.token(
            .form(graphBase + "/oauth/access_token", client.tokenRequestBody(code: code, flow: flow)))
        let user = try await requests.json(
            graphBase + "/me?fields=id,email,name,picture", endpoint: "Facebook /me", bearer: tokens.accessToken)
        guard let id = user["id"]?.identifier, let displayName = user["name"]?.string else {
            throw .profile("Facebook user without id or name")
        }
        return SocialIdentity(
            provider: name, id: id, email: user["email"]?.string, emailVerified: true, username: displayName,
            name: displayName, avatar: user["picture"]?["data"]?["url"]?.string)
    }
}
