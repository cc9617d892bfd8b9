import FoundationEssentials
import PortcullisCrypto

/// The OpenID Connect id_token claims Portcullis reads (OpenID Connect Core §2, §5.1).
public struct IDTokenClaims: Sendable, Decodable, Equatable {
    public var iss: String
    public var sub: String
    /// `aud` as sent: one string or an array, normalised to an array.
    public var aud: [String]
    public var azp: String?
    public var exp: Double
    public var iat: Double
    public var nonce: String?
    public var email: String?
    /// `email_verified`; some providers send the string "true".
    public var emailVerified: Bool?
    public var name: String?
    public var preferredUsername: String?
    public var givenName: String?
    public var familyName: String?
    public var picture: String?

    enum CodingKeys: String, CodingKey {
        case iss, sub, aud, azp, exp, iat, nonce, email, name, picture
        case emailVerified = "email_verified"
        case preferredUsername = "preferred_username"
        case givenName = "given_name"
        case familyName = "family_name"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        iss = try container.decode(String.self, forKey: .iss)
        sub = try container.decode(String.self, forKey: .sub)
        if let single = try? container.decode(String.self, forKey: .aud) {
            aud = [single]
        } else {
            aud = try container.decode([String].self, forKey: .aud)
        }
        azp = try container.decodeIfPresent(String.self, forKey: .azp)
        exp = try container.decode(Double.self, forKey: .exp)
        iat = try container.decode(Double.self, forKey: .iat)
        nonce = try container.decodeIfPresent(String.self, forKey: .nonce)
        email = try container.decodeIfPresent(String.self, forKey: .email)
        if let flag = try? container.decodeIfPresent(Bool.self, forKey: .emailVerified) {
            emailVerified = flag
        } else {
            emailVerified = (try? container.decodeIfPresent(String.self, forKey: .emailVerified)).map { $0 == "true" }
        }
        name = try container.decodeIfPresent(String.self, forKey: .name)
        preferredUsername = try container.decodeIfPresent(String.self, forKey: .preferredUsername)
        givenName = try container.decodeIfPresent(String.self, forKey: .givenName)
        familyName = try container.decodeIfPresent(String.self, forKey: .familyName)
        picture = try container.decodeIfPresent(String.self, forKey: .picture)
    }
}

/// Why an id_token was refused.
public enum IDTokenError: Error, Equatable, Sendable {
    /// No key in the set matches the token's `kid` and `alg`: refetch the JWKS once, then give up.
    case unknownKey
    /// Signature, structure or time claims (`exp`, `iat`) failed.
    case token(JWTError)
    case wrongIssuer
    case wrongAudience
    /// `azp` names another client, or is missing while there are several audiences.
    case wrongAuthorizedParty
    case nonceMismatch
}

/// Checks an id_token as OpenID Connect Core §3.1.3.7 asks: signature with the provider's key
/// (RS256/ES256, the algorithm taken from the key), `iss`, `aud`, `azp`, `exp`, `iat` and `nonce`.
public struct IDTokenValidator: Sendable {
    public var issuer: String
    public var clientID: String
    /// Seconds of clock skew allowed on `exp` and `iat` (`OPENID_CLOCK_TOLERANCE`).
    public var clockTolerance: Int64
    /// Other spellings of the issuer the provider documents (Google: `accounts.google.com`).
    public var alternativeIssuers: [String] = []

    public init(issuer: String, clientID: String, clockTolerance: Int64 = 0) {
        self.issuer = issuer
        self.clientID = clientID
        self.clockTolerance = clockTolerance
    }

    /// Validates with the key the set holds for the token's `kid` and `alg`.
    public func validate(
        _ token: String, keys: JSONWebKeySet, nonce: String, now: Int64
    ) throws(IDTokenError) -> IDTokenClaims {
        let header: JWSPublicKey.Header
        do { header = try JWSPublicKey.header(of: token) } catch { throw .token(error) }
        guard let key = keys.key(id: header.keyID, algorithm: header.algorithm) else { throw .unknownKey }
        return try validate(token, key: key, nonce: nonce, now: now)
    }

    /// Validates with the key the cache holds (fetching or refetching it as ``JWKSCache`` allows)
    /// for the token's `kid` and `alg`.
    public func validate(
        _ token: String, keys: JWKSCache, nonce: String, now: Int64
    ) async throws(SocialLoginError) -> IDTokenClaims {
        let header: JWSPublicKey.Header
        do { header = try JWSPublicKey.header(of: token) } catch { throw .idToken(.token(error)) }
        let key: JWSPublicKey?
        do { key = try await keys.key(id: header.keyID, algorithm: header.algorithm, now: now) } catch {
            throw (error as? SocialLoginError) ?? .profile("key set: \(error)")
        }
        guard let key else { throw .idToken(.unknownKey) }
        do { return try validate(token, key: key, nonce: nonce, now: now) } catch { throw .idToken(error) }
    }

    /// Validates with a key already chosen (by `JWKSCache.key(id:algorithm:now:)` on the token's header).
    public func validate(
        _ token: String, key: JWSPublicKey, nonce: String, now: Int64
    ) throws(IDTokenError) -> IDTokenClaims {
        let claims: IDTokenClaims
        do {
            claims = try key.verify(
                token, as: IDTokenClaims.self,
                validation: JWTValidation(leeway: clockTolerance, requireExpiration: true), now: now)
        } catch {
            throw .token(error)
        }
        guard claims.iss == issuer || alternativeIssuers.contains(claims.iss) else { throw .wrongIssuer }
        guard claims.aud.contains(clientID) else { throw .wrongAudience }
        if let azp = claims.azp {
            guard azp == clientID else { throw .wrongAuthorizedParty }
        } else if claims.aud.count > 1 {
            throw .wrongAuthorizedParty
        }
        guard let sent = claims.nonce, ConstantTime.equals(Array(sent.utf8), Array(nonce.utf8)) else {
            throw .nonceMismatch
        }
        return claims
    }
}
