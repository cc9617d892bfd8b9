/// A refusal of the OpenID provider, with the OAuth 2.0 error code it is sent as (RFC 6749 §4.1.2.1,
/// §5.2; OpenID Connect Core §3.1.2.6; RFC 6750 §3.1). The server renders it in one place: as the
/// token endpoint's JSON, as a redirect back to the client, or as a page when the client or its
/// redirect URI could not be trusted.
public struct ProviderError: Error, Sendable, Equatable {
    public enum Code: String, Sendable {
        case invalidRequest = "invalid_request"
        case invalidClient = "invalid_client"
        case invalidGrant = "invalid_grant"
        case unauthorizedClient = "unauthorized_client"
        case unsupportedGrantType = "unsupported_grant_type"
        case unsupportedResponseType = "unsupported_response_type"
        case invalidScope = "invalid_scope"
        case accessDenied = "access_denied"
        case loginRequired = "login_required"
        case consentRequired = "consent_required"
        case requestNotSupported = "request_not_supported"
        case requestURINotSupported = "request_uri_not_supported"
        case invalidToken = "invalid_token"
        case serverError = "server_error"
        case temporarilyUnavailable = "temporarily_unavailable"
    }

    public var code: Code
    /// For people reading logs and pages; never carries a token or secret.
    public var description: String
    /// Where an authorization error is sent back to (the validated redirect URI), with `state`;
    /// `nil`: shown to the user instead (unknown client, unregistered redirect URI).
    public var redirectURI: String?
    public var state: String?

    public init(_ code: Code, _ description: String, redirectURI: String? = nil, state: String? = nil) {
        self.code = code
        self.description = description
        self.redirectURI = redirectURI
        self.state = state
    }
}
