import PortcullisCrypto
import Synchronization

/// Carries the token signed inside a session shard back to the caller.
final class IssuedToken: Sendable {
    let value = Mutex<String?>(nil)
}

extension AuthService {
    public enum RefreshResult: Sendable {
        case success(IssuedTokens)
        case missingToken
        case invalidToken
        case userGone
        case noSession(retry: Bool)
    }

    /// Rotates the session of a refresh token (a just-rotated token within the grace window gets
    /// the current one; an older one revokes the session: reuse detection).
    public func refresh(token: String?, retry: Bool, client: ClientInfo? = nil) async throws(AuthError) -> RefreshResult
    {
        guard let token, !token.isEmpty else { return .missingToken }
        guard let claims = refreshClaims(token) else { return .invalidToken }
        guard let user = await users.user(id: claims.id) else { return .userGone }
        let now = nowMilliseconds()
        let issued = IssuedToken()
        let outcome = try await sessions.refresh(
            id: claims.sessionId, userId: claims.id, presentedHash: SHA256.hash(data: token.utf8).bytes, now: now,
            grace: configuration.refreshReuseGrace, client: client
        ) { [self] next throws(AuthError) in
            let fresh = try refreshToken(for: next)
            issued.value.withLock { $0 = fresh }
            return SHA256.hash(data: fresh.utf8).bytes
        }
        switch outcome {
        case .rotated(let session), .replayedWithinGrace(let session):
            metrics.refreshes.increment()
            // The rotated token was signed inside the shard; a grace replay re-derives the current one.
            let refresh: String
            if let signed = issued.value.withLock({ $0 }) {
                refresh = signed
            } else {
                refresh = try refreshToken(for: session)
            }
            return .success(
                IssuedTokens(
                    accessToken: try accessToken(for: user, now: now), refreshToken: refresh,
                    refreshExpiresAt: session.expiresAt, user: user))
        case .reuseDetected:
            metrics.refreshReuse.increment()
            return .noSession(retry: retry)
        case .notFound, .expired:
            return .noSession(retry: retry)
        }
    }

    /// The user behind `Authorization: Bearer <token>`, if the token verifies and the user exists.
    public func authenticate(authorization: String?) async -> User? {
        guard let authorization, authorization.hasPrefix("Bearer ") else { return nil }
        // Byte-level trim: Foundation's trimmingCharacters bridges through NSString on Linux.
        var token = authorization.utf8.dropFirst(7)
        while token.first == 0x20 || token.first == 0x09 { token = token.dropFirst() }
        while token.last == 0x20 || token.last == 0x09 { token = token.dropLast() }
        guard let token = String(token) else { return nil }
        let now = nowMilliseconds() / 1000
        if let cached = verifiedTokens.withLock({ $0[token] }) {
            guard now < cached.exp else {
                verifiedTokens.withLock { _ = $0.removeValue(forKey: token) }
                return nil
            }
            return await users.user(id: cached.id)
        }
        guard let claims = accessClaims(token, now: now) else { return nil }
        verifiedTokens.withLock { cache in
            if cache.count >= Self.verifiedTokenCapacity { cache.removeAll(keepingCapacity: true) }
            cache[token] = claims
        }
        return await users.user(id: claims.id)
    }

    /// Ends the session of `refreshToken` if it belongs to `user` and returns it. Unlike LibreChat,
    /// a missing cookie ends no session at all (rather than an arbitrary one).
    @discardableResult
    public func logout(user: User, refreshToken: String?) async -> Session? {
        guard let refreshToken, let claims = refreshClaims(refreshToken), claims.id == user.id else { return nil }
        return await sessions.remove(id: claims.sessionId, userId: user.id)
    }

    /// The signed-in browser behind a refresh-token cookie, without rotating anything (the pages):
    /// the token must verify and be its session's current one (or the previous within the grace).
    public func pageSession(refreshToken: String?) async -> (user: User, session: Session)? {
        guard let refreshToken, let claims = refreshClaims(refreshToken),
            let session = await sessions.session(id: claims.sessionId), session.userId == claims.id,
            session.expiresAt > nowMilliseconds()
        else { return nil }
        let presented = SHA256.hash(data: refreshToken.utf8).bytes
        let current = ConstantTime.equals(session.currentHash, presented)
        let previous = session.previousHash.map { ConstantTime.equals($0, presented) } ?? false
        guard current || (previous && nowMilliseconds() - session.rotatedAt <= configuration.refreshReuseGrace),
            let user = await users.user(id: claims.id)
        else { return nil }
        return (user, session)
    }
}
