import FoundationEssentials
import PortcullisCore

/// Why a callback did not yield a profile. Every case ends in `auth_failed` for the browser; the
/// case goes to the log, and none carries a code, token or secret.
public enum SocialLoginError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The provider sent `error=` (the user declined, ...): its code only.
    case providerDenied(String)
    case missingCode
    case transport(OutboundError)
    /// The provider answered a request with an unexpected status.
    case status(endpoint: String, code: Int)
    case token(TokenResponse.Failure)
    case discovery(OpenIDProviderMetadata.Problem)
    case idToken(IDTokenError)
    /// The profile lacks a field the login needs (id, a verified email, ...).
    case profile(String)
    /// `OPENID_REQUIRED_ROLE`: none of the roles is held.
    case missingRole([String])

    public var description: String {
        switch self {
        case .providerDenied(let code): "provider answered error=\(code)"
        case .missingCode: "callback without a code"
        case .transport(let error): "provider unreachable: \(error)"
        case .status(let endpoint, let code): "\(endpoint) answered HTTP \(code)"
        case .token(let failure): "token exchange failed: \(failure)"
        case .discovery(let problem): "discovery document refused: \(problem)"
        case .idToken(let error): "id_token refused: \(error)"
        case .profile(let reason): "profile refused: \(reason)"
        case .missingRole(let roles): "You must have \"\(roles.joined(separator: ", "))\" role to log in."
        }
    }
}

/// One social login provider: where to send the browser, and how to turn the callback into a profile.
public protocol SocialProvider: Sendable {
    /// The route segment and `provider` value (`github`).
    var name: String { get }
    /// Apple answers with a form POST (`response_mode=form_post`) instead of a redirect.
    var usesFormPost: Bool { get }
    /// The provider URL for a new flow.
    func authorizationURL(for flow: FlowState) async throws(SocialLoginError) -> String
    /// Exchanges the code and reads the profile. `fields` holds the callback's other parameters.
    func profile(
        code: String, flow: FlowState, fields: [String: String]
    ) async throws(SocialLoginError) -> SocialIdentity
}

extension SocialProvider {
    public var usesFormPost: Bool { false }
}

/// Requests every provider makes, with its status and JSON checks.
struct ProviderRequests: Sendable {
    let http: any OutboundHTTP

    func send(_ request: OutboundRequest) async throws(SocialLoginError) -> OutboundResponse {
        do { return try await http.send(request) } catch { throw .transport(error) }
    }

    /// A token endpoint call (the error answers of RFC 6749 §5.2 come with status 400/401).
    func token(_ request: OutboundRequest) async throws(SocialLoginError) -> TokenResponse {
        let response = try await send(request)
        do { return try TokenResponse(json: response.body) } catch {
            if case .malformed = error, !(200..<300).contains(response.status) {
                throw .status(endpoint: "token endpoint", code: response.status)
            }
            throw .token(error)
        }
    }

    /// A document that must be answered with 200 (discovery, key sets): its body.
    func document(_ url: String, endpoint: String) async throws(SocialLoginError) -> [UInt8] {
        let response = try await send(OutboundRequest(url: url, headers: [("Accept", "application/json")]))
        guard response.status == 200 else { throw .status(endpoint: endpoint, code: response.status) }
        return response.body
    }

    /// A key set fetched from `url` on demand (``JWKSCache``).
    func keySet(_ url: String, endpoint: String, minimumRefetchInterval: Int64 = 60) -> JWKSCache {
        JWKSCache(minimumRefetchInterval: minimumRefetchInterval) { [self] in
            try await document(url, endpoint: endpoint)
        }
    }

    /// A JSON document from an API with a bearer token.
    func json(
        _ url: String, endpoint: String, bearer: String?, headers: [(String, String)] = []
    ) async throws(SocialLoginError) -> JSONValue {
        var all = headers + [("Accept", "application/json")]
        if let bearer { all.append(("Authorization", "Bearer \(bearer)")) }
        let response = try await send(OutboundRequest(url: url, headers: all))
        guard (200..<300).contains(response.status) else { throw .status(endpoint: endpoint, code: response.status) }
        guard let value = JSONValue.parse(response.body) else { throw .profile("\(endpoint) did not answer JSON") }
        return value
    }
}
