import PortcullisCrypto
import PortcullisSupport

/// The access token's claims, exactly LibreChat's: `{id, username, provider, email, iat, exp}`.
public struct AccessClaims: Codable, Sendable, Equatable {
    public var id: String
    public var username: String
    public var provider: String
    public var email: String
    public var iat: Int64
    public var exp: Int64

    public init(id: String, username: String, provider: String, email: String, iat: Int64, exp: Int64) {
        self.id = id
        self.username = username
        self.provider = provider
        self.email = email
        self.iat = iat
        self.exp = exp
    }
}

/// The refresh token's claims: LibreChat's `{id, sessionId}` plus `gen`, the session's rotation
/// count, so that each rotation produces a distinct token even within one second. `gen` and `iat`
/// are optional when reading, so tokens LibreChat issued still parse.
public struct RefreshClaims: Codable, Sendable, Equatable {
    public var id: String
    public var sessionId: String
    public var gen: Int?
    public var iat: Int64?
    public var exp: Int64

    public init(id: String, sessionId: String, gen: Int?, iat: Int64?, exp: Int64) {
        self.id = id
        self.sessionId = sessionId
        self.gen = gen
        self.iat = iat
        self.exp = exp
    }
}

extension AccessClaims: CompactJSONEncodable {
    public var compactJSON: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(160)
        out += Array(#"{"email":"#.utf8)
        JSONString.append(email, to: &out)
        out += Array(#","exp":\#(exp),"iat":\#(iat),"id":"#.utf8)
        JSONString.append(id, to: &out)
        out += Array(#","provider":"#.utf8)
        JSONString.append(provider, to: &out)
        out += Array(#","username":"#.utf8)
        JSONString.append(username, to: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }
}

extension RefreshClaims: CompactJSONEncodable {
    public var compactJSON: [UInt8] {
        var out: [UInt8] = Array(#"{"exp":\#(exp)"#.utf8)
        if let gen { out += Array(#","gen":\#(gen)"#.utf8) }
        if let iat { out += Array(#","iat":\#(iat)"#.utf8) }
        out += Array(#","id":"#.utf8)
        JSONString.append(id, to: &out)
        out += Array(#","sessionId":"#.utf8)
        JSONString.append(sessionId, to: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }
}
