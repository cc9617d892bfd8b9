import PortcullisCore
import PortcullisHTTP

/// Every refusal the API gives, in LibreChat's shapes, rendered here and nowhere else. Handlers
/// throw these (and the engine's ``AuthError``); the server turns them into answers.
enum APIError: HTTPResponseError, Equatable {
    /// No valid Bearer token: 401 `Unauthorized`.
    case unauthorized
    /// A Bearer token of a user without the role: 403 `Forbidden`.
    case forbidden
    /// The body is not a JSON object: 400.
    case badJSON
    /// `{"message": ...}` with a status.
    case message(String, HTTPStatus)
    /// The same answer, about one form input (its id): a page shows the message next to it.
    case invalidField(String, field: String, HTTPStatus)
    /// A limiter or lockout: 429 with the message and `Retry-After`.
    case tooManyRequests(String, retryAfter: Int64)
    /// A ban: 403 with LibreChat's ban message and `Retry-After`.
    case banned(retryAfter: Int64)
    /// Express's `res.send(<string>)`: `text/html; charset=utf-8`.
    case text(String, HTTPStatus)
    /// `REQUIRE_2FA` holds the user back until they enrol (ours): 403.
    case twoFactorSetupRequired

    /// The form input the refusal is about, if one.
    var field: String? {
        if case .invalidField(_, let field, _) = self { field } else { nil }
    }

    var response: HTTPResponse {
        switch self {
        case .unauthorized: return .message("Unauthorized", status: .unauthorized)
        case .forbidden: return .message("Forbidden", status: .forbidden)
        case .badJSON: return .message("Invalid JSON body", status: .badRequest)
        case .message(let text, let status), .invalidField(let text, _, let status):
            return .message(text, status: status)
        case .tooManyRequests(let text, let seconds):
            var response = HTTPResponse.message(text, status: .tooManyRequests)
            response.headers.add(name: "Retry-After", value: "\(seconds)")
            return response
        case .banned(let seconds):
            var response = HTTPResponse.message(Moderation.banMessage, status: .forbidden)
            response.headers.add(name: "Retry-After", value: "\(seconds)")
            return response
        case .text(let text, let status):
            return HTTPResponse(
                status: status, headers: ["Content-Type": "text/html; charset=utf-8"], body: Array(text.utf8))
        case .twoFactorSetupRequired:
            return .json(
                bytes: Array(
                    #"{"message":"Two-factor authentication must be set up first.","twoFASetupRequired":true}"#.utf8),
                status: .forbidden)
        }
    }
}

/// The OpenID provider's refusals, as OAuth 2.0 JSON (RFC 6749 §5.2): 401 with a challenge for a
/// client that failed to authenticate (§5.2) or a bad Bearer token (RFC 6750 §3), 400 otherwise.
extension ProviderError: HTTPResponseError {
    public var response: HTTPResponse {
        let status: HTTPStatus =
            switch code {
            case .invalidClient, .invalidToken: .unauthorized
            case .serverError: .internalServerError
            case .temporarilyUnavailable: .serviceUnavailable
            default: .badRequest
            }
        var response = API.noStore(
            .json(bytes: UserJSON.data(["error": code.rawValue, "error_description": description]), status: status))
        if code == .invalidClient {
            response.headers.add(name: "WWW-Authenticate", value: #"Basic realm="portcullis""#)
        }
        if code == .invalidToken {
            response.headers.add(name: "WWW-Authenticate", value: #"Bearer error="invalid_token""#)
        }
        return response
    }
}

/// The engine's own failures: a full hashing queue is 503 with `Retry-After: 1` (the client may
/// retry at once), a hashing or signing failure a 500 that says nothing more.
extension AuthError: HTTPResponseError {
    public var response: HTTPResponse {
        switch self {
        case .overloaded:
            var response = HTTPResponse.message("Server is busy, please retry.", status: .serviceUnavailable)
            response.headers.add(name: "Retry-After", value: "1")
            return response
        case .hashingFailed, .signingFailed:
            return .message("Internal Server Error", status: .internalServerError)
        }
    }
}
