import PortcullisCrypto

/// A provider's signing keys, fetched on demand and kept; an unknown `kid` (key rotation) triggers
/// one refetch, at most once per `minimumRefetchInterval`, so tokens with made-up key ids cannot
/// turn into a flood of requests to the provider.
public actor JWKSCache {
    /// Fetches the JWKS document (the `jwks_uri` body); injected so tests and transports can differ.
    public typealias Fetch = @Sendable () async throws -> [UInt8]

    private let fetch: Fetch
    /// Seconds a fetched set stays fresh without any miss.
    public let lifetime: Int64
    /// Seconds between two refetches caused by unknown keys.
    public let minimumRefetchInterval: Int64
    private var keys: JSONWebKeySet?
    private var fetchedAt: Int64 = .min
    /// Number of fetches made (for metrics and tests).
    public private(set) var fetchCount = 0

    public init(lifetime: Int64 = 3600, minimumRefetchInterval: Int64 = 60, fetch: @escaping Fetch) {
        self.fetch = fetch
        self.lifetime = lifetime
        self.minimumRefetchInterval = minimumRefetchInterval
    }

    /// The key for a token's `kid` and `alg`, refetching the set when it is stale or the key is
    /// unknown (rate-limited). Nil when the provider does not publish such a key.
    public func key(id: String?, algorithm: String, now: Int64) async throws -> JWSPublicKey? {
        if keys == nil || now - fetchedAt >= lifetime {
            try await refresh(now: now)
        }
        if let key = keys?.key(id: id, algorithm: algorithm) { return key }
        guard now - fetchedAt >= minimumRefetchInterval else { return nil }
        try await refresh(now: now)
        return keys?.key(id: id, algorithm: algorithm)
    }

    /// The current set (fetching it if none is held), for callers that validate a whole token.
    public func keySet(now: Int64) async throws -> JSONWebKeySet {
        if keys == nil || now - fetchedAt >= lifetime { try await refresh(now: now) }
        return keys ?? JSONWebKeySet.empty
    }

    private func refresh(now: Int64) async throws {
        fetchCount += 1
        // Counted before the await: a failed fetch also waits out the interval.
        fetchedAt = now
        let body = try await fetch()
        keys = try JSONWebKeySet(json: body)
    }
}
