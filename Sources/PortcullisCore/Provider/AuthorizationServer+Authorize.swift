import Foundation
import PortcullisCrypto
import PortcullisSupport

extension AuthorizationServer {
    /// What the authorization endpoint does next.
    public enum AuthorizationStep: Sendable, Equatable {
        /// The user must sign in (again) first; the request waits in the pending cookie.
        case signIn
        /// The user must agree to share `scopes` with the client (a third-party client, new scopes).
        case consent(scopes: [String])
        /// Back to the client: with a code, or with an error.
        case redirect(String)
    }

    /// The pending-request cookie: the parameters of an authorization request waiting for a sign-in
    /// or a consent, MACed with the time it was made (`prompt=login` needs a sign-in after it).
    public static let pendingCookieName = "portcullis_oidc"
    /// The largest request kept in the cookie (a browser keeps 4 KiB per cookie).
    static let maximumPendingBytes = 2800

    /// Decides an authorization request for the browser's session (`nil`: not signed in).
    /// - Parameter requestedAt: when a resumed request was first made (ms), else `nil`.
    public func authorize(
        _ request: AuthorizationRequest, browser: (user: User, session: Session)?, requestedAt: Int64?
    ) async throws(ProviderError) -> AuthorizationStep {
        let now = clock.milliseconds
        guard let (user, session) = browser, !needsSignIn(request, session: session, requestedAt: requestedAt, now: now)
        else {
            if request.prompt.contains("none") { throw request.refusal(.loginRequired, "the user is not signed in") }
            return .signIn
        }
        if let expiry = await banExpiry(user.id), expiry > now {
            throw request.refusal(.accessDenied, "the account is suspended")
        }
        if await service.needsSecondFactor(user) {
            throw request.refusal(.accessDenied, "two-factor authentication must be set up first")
        }
        if !request.client.firstParty {
            let granted = await store.consent(userId: user.id, clientId: request.client.id)
            let known = Set((granted?.scope ?? "").split(separator: " ").map(String.init))
            if request.prompt.contains("consent") || !Set(request.scopes).isSubset(of: known) {
                if request.prompt.contains("none") {
                    throw request.refusal(.consentRequired, "the user has not allowed this application yet")
                }
                return .consent(scopes: request.scopes)
            }
        }
        return .redirect(try await issueCode(request, user: user, session: session, now: now))
    }

    /// The user's answer on the consent page.
    public func consent(
        _ request: AuthorizationRequest, browser: (user: User, session: Session), allowed: Bool
    ) async throws(ProviderError) -> String {
        guard allowed else { throw request.refusal(.accessDenied, "the user declined") }
        let now = clock.milliseconds
        let (user, session) = browser
        let previous = await store.consent(userId: user.id, clientId: request.client.id)
        let scopes = Set(request.scopes).union((previous?.scope ?? "").split(separator: " ").map(String.init))
        await store.insert(
            ProviderConsent(
                userId: user.id, clientId: request.client.id, scope: scopes.sorted().joined(separator: " "),
                grantedAt: now))
        await service.audit.record(
            .appAuthorized, actor: user.id, subject: user,
            detail: "\(request.client.name): \(request.scopes.joined(separator: " "))")
        return try await issueCode(request, user: user, session: session, now: now)
    }

    func needsSignIn(_ request: AuthorizationRequest, session: Session, requestedAt: Int64?, now: Int64) -> Bool {
        if request.prompt.contains("login") && session.createdAt < (requestedAt ?? .max) { return true }
        if let maxAge = request.maxAge, now - session.createdAt > maxAge * 1000 { return true }
        return false
    }

    func issueCode(
        _ request: AuthorizationRequest, user: User, session: Session, now: Int64
    ) async throws(ProviderError) -> String {
        if await codeLimiter(user.id, configuration.codeLimit) != nil {
            throw request.refusal(.temporarilyUnavailable, "too many sign-in requests; try again in a minute")
        }
        let code = Base64URL.encode(SecureRandom.bytes(count: 32))
        await store.insert(
            AuthorizationCode(
                grantId: Self.grantId(ofCode: code), codeHash: SHA256.hash(data: Array(code.utf8)).bytes,
                clientId: request.client.id, userId: user.id, redirectURI: request.redirectURI,
                scope: request.scopes.joined(separator: " "), nonce: request.nonce, challenge: request.codeChallenge,
                authTime: session.createdAt, method: session.method ?? "password", browserSession: session.id,
                issuedAt: now, redeemed: false))
        return Self.redirect(request.redirectURI, ["code": code, "state": request.state, "iss": issuer])
    }

    /// The grant a code creates: derived from the code, so that the two share a shard.
    static func grantId(ofCode code: String) -> String {
        Base64URL.encode(Array(SHA256.hash(data: Array("portcullis grant \(code)".utf8)).bytes.prefix(18)))
    }

    /// `uri` with `parameters` (the `nil` ones left out) added to its query.
    public static func redirect(_ uri: String, _ parameters: KeyValuePairs<String, String?>) -> String {
        let query = parameters.compactMap { name, value in value.map { name + "=" + PercentEncoding.component($0) } }
        guard !query.isEmpty else { return uri }
        return uri + (uri.contains("?") ? "&" : "?") + query.joined(separator: "&")
    }

    /// Where an authorization error goes back to, as RFC 6749 §4.1.2.1 and RFC 9207 ask.
    public func redirect(for error: ProviderError) -> String? {
        error.redirectURI.map {
            Self.redirect(
                $0,
                [
                    "error": error.code.rawValue, "error_description": error.description, "state": error.state,
                    "iss": issuer,
                ])
        }
    }

    // MARK: The pending request

    /// The cookie value keeping `request` while the user signs in; `nil` when it is too large.
    public func pendingCookie(for request: AuthorizationRequest) -> String? {
        guard let json = try? JSONSerialization.data(withJSONObject: request.parameters, options: [.sortedKeys]),
            json.count <= Self.maximumPendingBytes
        else { return nil }
        let body = Base64URL.encode(Array(json)) + "." + String(clock.milliseconds)
        return body + "." + Base64URL.encode(cookieMAC.authenticationCode(for: Array("pending \(body)".utf8)).bytes)
    }

    /// The request a pending cookie keeps and when it was made, if the cookie is ours and fresh.
    public func pendingRequest(cookie: String?) -> (parameters: [String: String], requestedAt: Int64)? {
        guard let cookie, cookie.utf8.count <= 4096 else { return nil }
        let parts = cookie.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let requestedAt = Int64(parts[1]) else { return nil }
        let body = parts[0] + "." + parts[1]
        let expected = Base64URL.encode(cookieMAC.authenticationCode(for: Array("pending \(body)".utf8)).bytes)
        guard ConstantTime.equals(Array(expected.utf8), Array(parts[2].utf8)),
            clock.milliseconds - requestedAt < ProviderConfiguration.pendingLifetime * 1000,
            let json = Base64URL.decode(parts[0]),
            let parameters = try? JSONSerialization.jsonObject(with: Data(json)) as? [String: String]
        else { return nil }
        return (parameters, requestedAt)
    }
}
