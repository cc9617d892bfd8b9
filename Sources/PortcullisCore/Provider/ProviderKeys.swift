import Foundation
import PortcullisCrypto
import Synchronization

/// One signing key of the provider: its `kid`, when it was made and, once a newer key replaced it,
/// when it stopped signing.
public struct ProviderSigningKey: Sendable {
    public let id: String
    public let key: JWSPrivateKey
    public let createdAt: Int64
    public var retiredAt: Int64?
}

/// Why the key file could not be read or written. Never carries key material.
public struct ProviderKeyError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// The provider's signing keys, kept in `<data dir>/oidc-keys.json` (mode 0600): an RS256 and an
/// ES256 key are generated when first needed (`serve` makes them before it listens).
/// ``rotate()`` adds a new pair; the old keys stay in the JWKS until every token they signed has
/// expired, then they are dropped from the file.
public final class ProviderKeys: Sendable {
    public static let fileName = "oidc-keys.json"
    let path: String
    let tokenLifetime: Int64
    let clock: any WallClock
    private let keys = Mutex<[ProviderSigningKey]>([])

    /// Loads the key file, if there is one.
    public init(directory: String, tokenLifetime: Int64, clock: any WallClock) throws(ProviderKeyError) {
        path = directory + "/" + Self.fileName
        self.tokenLifetime = tokenLifetime
        self.clock = clock
        let loaded = try Self.read(path)
        keys.withLock { $0 = loaded }
        try dropExpired()
    }

    /// Makes the first keys (and the file) if there are none yet. Key generation takes a moment,
    /// done once, under the lock so that two callers cannot make two pairs.
    public func prepare() throws(ProviderKeyError) {
        let outcome = keys.withLock { keys -> ProviderKeyError? in
            guard keys.isEmpty else { return nil }
            do throws(ProviderKeyError) {
                let fresh = try ProviderSigningKey.pair(now: clock.milliseconds)
                try Self.write(fresh, to: path)
                keys = fresh
                return nil
            } catch {
                return error
            }
        }
        if let outcome { throw outcome }
    }

    /// No key yet (a first start).
    public var isEmpty: Bool { keys.withLock { $0.isEmpty } }

    /// Every key, newest first (the admin command lists them).
    public var all: [ProviderSigningKey] {
        try? prepare()
        return keys.withLock { $0 }.sorted { $0.createdAt > $1.createdAt }
    }

    /// The key new tokens are signed with for `algorithm` (the newest one not retired). On every
    /// token: one pass under the lock, no copy, no sort (the keys were made before `serve` listens).
    public func signing(algorithm: String) -> ProviderSigningKey? {
        keys.withLock { keys in
            keys.lazy.filter { $0.key.algorithm == algorithm && $0.retiredAt == nil }
                .max { $0.createdAt < $1.createdAt }
        }
    }

    /// The key a token names by `kid`, for checking tokens this provider issued.
    public func verification(id: String?, algorithm: String) -> JWSPublicKey? {
        guard let id else { return nil }
        return keys.withLock { $0.first { $0.id == id && $0.key.algorithm == algorithm }?.key.publicKey }
    }

    /// The JWKS document (RFC 7517): every key still published, public halves only.
    public var jwks: [UInt8] {
        let entries = all.map { signingKey -> [String: String] in
            var entry: [String: String] = ["kid": signingKey.id, "use": "sig", "alg": signingKey.key.algorithm]
            for (name, value) in signingKey.key.publicJWKMembers { entry[name] = value }
            return entry
        }
        return (try? Array(JSONSerialization.data(withJSONObject: ["keys": entries], options: [.sortedKeys]))) ?? []
    }

    /// Retires the current keys and adds a new RS256 and ES256 key; returns the new ones.
    @discardableResult
    public func rotate() throws(ProviderKeyError) -> [ProviderSigningKey] {
        try prepare()
        let now = clock.milliseconds
        let fresh = try ProviderSigningKey.pair(now: now)
        let next = keys.withLock { keys -> [ProviderSigningKey] in
            keys =
                keys.map { key in
                    var key = key
                    if key.retiredAt == nil { key.retiredAt = now }
                    return key
                } + fresh
            return keys
        }
        try Self.write(next, to: path)
        return fresh
    }

    /// Drops retired keys whose every token has expired (a minute of clock skew allowed); rewrites
    /// the file when one went.
    public func dropExpired() throws(ProviderKeyError) {
        let horizon = clock.milliseconds - (tokenLifetime + 60) * 1000
        let (next, dropped) = keys.withLock { keys -> ([ProviderSigningKey], Bool) in
            let kept = keys.filter { ($0.retiredAt ?? .max) > horizon }
            defer { keys = kept }
            return (kept, kept.count != keys.count)
        }
        if dropped { try Self.write(next, to: path) }
    }

    static func read(_ path: String) throws(ProviderKeyError) -> [ProviderSigningKey] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        guard let data = FileManager.default.contents(atPath: path),
            let document = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let entries = document["keys"] as? [[String: Any]]
        else { throw ProviderKeyError(description: "\(path) is not a key file") }
        var result: [ProviderSigningKey] = []
        for (index, entry) in entries.enumerated() {
            guard let id = entry["kid"] as? String, JWSPrivateKey.isPlainHeaderValue(id),
                let algorithm = entry["alg"] as? String,
                let pem = entry["pem"] as? String, let created = (entry["created"] as? NSNumber)?.int64Value,
                let key = try? JWSPrivateKey(algorithm: algorithm, pem: pem)
            else { throw ProviderKeyError(description: "\(path): key \(index + 1) cannot be read") }
            result.append(
                ProviderSigningKey(
                    id: id, key: key, createdAt: created, retiredAt: (entry["retired"] as? NSNumber)?.int64Value))
        }
        return result
    }

    /// Writes the file whole: to a temporary file (0600), synced, then renamed over the old one.
    static func write(_ keys: [ProviderSigningKey], to path: String) throws(ProviderKeyError) {
        let entries = keys.map { key -> [String: Any] in
            var entry: [String: Any] = [
                "kid": key.id, "alg": key.key.algorithm, "created": key.createdAt, "pem": key.key.pemRepresentation,
            ]
            if let retired = key.retiredAt { entry["retired"] = retired }
            return entry
        }
        guard
            let data = try? JSONSerialization.data(
                withJSONObject: ["keys": entries], options: [.prettyPrinted, .sortedKeys])
        else { throw ProviderKeyError(description: "cannot encode the key file") }
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ProviderKeyError(description: "cannot create \(temporary): errno \(errno)") }
        let written = data.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == data.count, synced, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw ProviderKeyError(description: "cannot write \(path): errno \(errno)")
        }
    }
}

extension ProviderSigningKey {
    /// A new RS256 and ES256 key, named by their RFC 7638 thumbprints.
    static func pair(now: Int64) throws(ProviderKeyError) -> [ProviderSigningKey] {
        do {
            return try ProviderClient.signingAlgorithms.map { algorithm in
                let key = try JWSPrivateKey.generate(algorithm: algorithm)
                return ProviderSigningKey(id: key.thumbprint, key: key, createdAt: now)
            }
        } catch {
            throw ProviderKeyError(description: "key generation failed")
        }
    }
}
