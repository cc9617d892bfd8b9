import Foundation
import Logging
import PortcullisCore
import PortcullisHTTP
import PortcullisMail
import PortcullisOAuth
import PortcullisStore

/// The LibreChat-compatible HTTP API: it maps requests to engine calls and outcomes to LibreChat's
/// status codes, bodies and cookies. No flow lives here.
public final class API: Sendable {
    public let engine: Engine
    let requestMetrics = RequestMetrics()
    /// The dashboard's live view, sampled by the server's loop.
    let history = MetricsHistory()
    let startedAt = Date()
    let pages: Pages
    let cspReportLog = LogBudget(perMinute: 20)

    public init(engine: Engine) {
        self.engine = engine
        pages = Pages(appTitle: engine.configuration.appTitle, branding: engine.branding)
    }

    var service: AuthService { engine.service }
    var moderation: Moderation { engine.moderation }
    var tokens: OneTimeTokens { engine.tokens }
    var flows: AccountFlows { engine.flows }
    var social: SocialLogin { engine.social }
    var configuration: AuthConfiguration { service.configuration }
    var logger: Logger { engine.logger }

    /// The public router: `/api/auth/*`, `/api/user*`, `/api/config`, `/oauth/*`, `/health`, `/metrics`.
    public func makeRouter() -> Router {
        var routes = Routes(service: service)
        routes.immediate(.get, "/health") { _ in .text("OK") }
        routes.on(.get, "/metrics") { [self] _ in .text(renderMetrics()) }
        routes.on(.get, "/api/config") { [self] _ in .json(bytes: UserJSON.data(preLoginConfig())) }
        addSessionRoutes(&routes)
        addModerationRoutes(&routes)
        addAdminRoutes(&routes)
        addEmailRoutes(&routes)
        addOAuthRoutes(&routes)
        addTwoFactorRoutes(&routes)
        addPageRoutes(&routes)
        addCSPReportRoute(&routes)
        addOpenIDProviderRoutes(&routes)
        return routes.router
    }

    /// A JSON body as a dictionary of optional strings; non-string values count as absent (as
    /// LibreChat's schemas refuse them), except integers when `integers` is set (the admin API's
    /// `{"minutes": 60}`). `nil` when the body is not a JSON object.
    static func fields(_ request: HTTPRequest, integers: Bool = false) -> [String: String]? {
        guard !request.body.isEmpty else { return [:] }
        guard let object = try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any] else {
            return nil
        }
        var result: [String: String] = [:]
        for (key, value) in object {
            if let string = value as? String {
                result[key] = string
            } else if integers, !(value is Bool), let number = value as? NSNumber,
                let integer = Int64(exactly: number.doubleValue)
            {
                result[key] = String(integer)
            }
        }
        return result
    }

    /// `response` marked `Cache-Control: no-store` (an answer carrying tokens, options or a flow cookie).
    static func noStore(_ response: HTTPResponse) -> HTTPResponse {
        var response = response
        response.headers.add(name: "Cache-Control", value: "no-store")
        return response
    }

    /// ``fields(_:integers:)`` or the 400 for a body that is not a JSON object.
    static func body(_ request: HTTPRequest, integers: Bool = false) throws(APIError) -> [String: String] {
        guard let fields = fields(request, integers: integers) else { throw .badJSON }
        return fields
    }

    /// `/api/config`'s pre-login fields (`buildPreLoginPayload`).
    func preLoginConfig() -> [String: Any] {
        var config: [String: Any] = [
            "appTitle": configuration.appTitle,
            "socialLoginEnabled": configuration.allowSocialLogin,
            "serverDomain": configuration.domainServer,
            "passwordResetEnabled": configuration.allowPasswordReset,
            "emailLoginEnabled": configuration.allowEmailLogin,
            "registrationEnabled": configuration.allowRegistration,
            "emailEnabled": configuration.emailEnabled,
            "samlLoginEnabled": false,
            "openidLabel": social.openidLabel, "openidImageUrl": social.openidImageURL,
            "openidAutoRedirect": social.openidAutoRedirect,
            "ldap": ["enabled": false],
            // LibreChat's login page draws its social buttons from this list, in this order.
            "socialLogins": SocialLogin.providerNames.filter { social.providers[$0] != nil },
        ]
        for name in SocialLogin.providerNames { config["\(name)LoginEnabled"] = social.providers[name] != nil }
        if configuration.minPasswordLengthConfigured { config["minPasswordLength"] = configuration.minPasswordLength }
        return config
    }
}
