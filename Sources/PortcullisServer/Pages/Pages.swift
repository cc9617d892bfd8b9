import Mustache
import PortcullisCrypto
import PortcullisHTTP
import Synchronization

/// The pages people use, rendered from templates compiled into the binary, with HTML escaping by
/// default (Mustache `{{…}}`). Every page answer carries the same strict headers: a CSP with no inline
/// script or style (the one script is a file of ours, for passkeys), no framing, no referrer, `no-store`.
struct Pages: Sendable {
    let library: MustacheLibrary
    let appTitle: String
    let branding: Branding
    let cache = Cache()

    static let stylesheet = PackageResources.portcullis_css
    /// The one script: the passkey ceremonies of the sign-in and account pages.
    static let script = PackageResources.passkeys_js
    /// The dashboard's: redraws the live charts every few seconds.
    static let adminScript = PackageResources.admin_js

    static let securityHeaders: [(String, String)] = [
        (
            "Content-Security-Policy",
            "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; "
                + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
                + "report-uri /csp-report"
        ),
        ("X-Frame-Options", "DENY"), ("Referrer-Policy", "no-referrer"), ("X-Content-Type-Options", "nosniff"),
        ("Cache-Control", "no-store"),
    ]

    init(appTitle: String, branding: Branding = Branding()) {
        var library = MustacheLibrary()
        let sources: [(String, [UInt8])] = [
            ("layout", PackageResources.layout_mustache), ("login", PackageResources.login_mustache),
            ("register", PackageResources.register_mustache), ("twofactor", PackageResources.twofactor_mustache),
            ("forgot", PackageResources.forgot_mustache), ("reset", PackageResources.reset_mustache),
            ("account", PackageResources.account_mustache), ("message", PackageResources.message_mustache),
            ("setup", PackageResources.setup_mustache), ("enrol", PackageResources.enrol_mustache),
            ("codes", PackageResources.codes_mustache), ("backup", PackageResources.backup_mustache),
            ("admin-nav", PackageResources.admin_nav_mustache), ("admin", PackageResources.admin_mustache),
            ("admin-users", PackageResources.admin_users_mustache),
            ("admin-user", PackageResources.admin_user_mustache),
            ("admin-bans", PackageResources.admin_bans_mustache),
            ("admin-audit", PackageResources.admin_audit_mustache),
            ("consent", PackageResources.consent_mustache), ("continue", PackageResources.continue_mustache),
            ("signout", PackageResources.signout_mustache),
        ]
        for (name, bytes) in sources {
            // The templates are part of the build: one that does not parse is a programming error.
            try! library.register(String(decoding: bytes, as: UTF8.self), named: name)
        }
        self.library = library
        self.appTitle = appTitle
        self.branding = branding
    }

    /// A whole page: `template` rendered with `values`, inside the layout.
    /// - Parameter fieldErrors: messages shown next to the inputs of these ids (with `aria-invalid`
    ///   and `aria-describedby`); the message above the form then only points at them.
    func render(
        _ template: String, title: String, values: [String: Any] = [:], error: String? = nil,
        fieldErrors: [String: String] = [:], notice: String? = nil, status: HTTPStatus = .ok
    ) -> HTTPResponse {
        var context = values
        context["appTitle"] = appTitle
        context["errors"] = fieldErrors
        let body = library.render(context, withTemplate: template) ?? ""
        var layout: [String: Any] = [
            "title": title, "appTitle": appTitle, "body": body, "logo": branding.logo != nil,
            "theme": branding.accent != nil, "script": values["script"] as? Bool ?? false,
            "adminScript": values["adminScript"] as? Bool ?? false,
        ]
        if let refresh = values["refresh"] as? String { layout["refresh"] = refresh }
        if let error { layout["error"] = fieldErrors.isEmpty ? error : Self.checkTheFields }
        if let notice { layout["notice"] = notice }
        let html = library.render(layout, withTemplate: "layout") ?? ""
        return Self.html(Array(html.utf8), status: status)
    }

    /// An HTML answer with the page headers.
    static func html(_ body: [UInt8], status: HTTPStatus = .ok) -> HTTPResponse {
        var response = HTTPResponse(status: status, headers: ["Content-Type": "text/html; charset=utf-8"], body: body)
        for (name, value) in securityHeaders { response.headers.add(name: name, value: value) }
        return response
    }

    /// Where the CSRF token goes in a prerendered page (control characters: never in a template's text).
    static let csrfMarker = "\u{1}csrf\u{1}"

    /// `template` rendered once (per process) with ``csrfMarker`` for the token, split there: for the
    /// pages that are the same for everyone but the token (rendering is most of their cost).
    func prerendered(_ template: String, title: String, values: [String: Any]) -> [[UInt8]] {
        if let parts = cache.parts.withLock({ $0[template] }) { return parts }
        var context = values
        context["csrf"] = Self.csrfMarker
        let body = render(template, title: title, values: context).body
        let marker = Array(Self.csrfMarker.utf8)
        var parts: [[UInt8]] = [[]]
        var index = 0
        while index < body.count {
            if body[index] == marker[0], index + marker.count <= body.count,
                Array(body[index..<index + marker.count]) == marker
            {
                parts.append([])
                index += marker.count
            } else {
                parts[parts.count - 1].append(body[index])
                index += 1
            }
        }
        cache.parts.withLock { $0[template] = parts }
        return parts
    }

    /// Prerendered pages, by template.
    final class Cache: Sendable {
        let parts = Mutex<[String: [[UInt8]]]>([:])
    }

    static let checkTheFields = "Please check the fields marked below."

    /// A file the pages load (stylesheet, logo): cacheable for an hour, its type not to be guessed.
    static func asset(_ contentType: String, _ body: [UInt8]) -> HTTPResponse {
        var response = HTTPResponse(status: .ok, headers: ["Content-Type": contentType], body: body)
        response.headers.add(name: "Cache-Control", value: "public, max-age=3600")
        response.headers.add(name: "X-Content-Type-Options", value: "nosniff")
        return response
    }

    /// A redirect after a form (303: the browser follows with GET), with the page headers.
    static func seeOther(_ location: String) -> HTTPResponse {
        var response = HTTPResponse.redirect(to: location, status: HTTPStatus(code: 303))
        for (name, value) in securityHeaders { response.headers.add(name: name, value: value) }
        return response
    }

    /// `2026-12-03 13:41 UTC`: a time as people read it.
    static func readableDate(_ milliseconds: Int64) -> String {
        let iso = HTTPDate.iso8601(millisecondsSince1970: milliseconds)
        return String(iso.prefix(10)) + " " + String(iso.dropFirst(11).prefix(5)) + " UTC"
    }

    /// "Chrome on Linux": the browser and system a user agent names, as people recognise them.
    static func deviceLabel(_ userAgent: String?) -> String {
        guard let agent = userAgent, !agent.isEmpty else { return "Unknown device" }
        let browsers: [(String, String)] = [
            ("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
            ("Chromium/", "Chromium"),
            ("Safari/", "Safari"), ("curl/", "curl"), ("python-requests/", "Python requests"),
        ]
        let systems: [(String, String)] = [
            ("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"), ("Windows", "Windows"),
            ("Mac OS X", "macOS"),
            ("CrOS", "ChromeOS"), ("Linux", "Linux"),
        ]
        let browser = browsers.first { agent.contains($0.0) }?.1
        let system = systems.first { agent.contains($0.0) }?.1
        switch (browser, system) {
        case (let browser?, let system?): return "\(browser) on \(system)"
        case (let browser?, nil): return browser
        case (nil, let system?): return system
        case (nil, nil): return String(agent.prefix(40))
        }
    }

    // MARK: CSRF

    /// The double-submit cookie every form's hidden `csrf` field must repeat.
    static let csrfCookie = "portcullis_csrf"

    /// The browser's CSRF token, and a cookie to set when it has none yet.
    static func csrfToken(_ request: HTTPRequest, secure: Bool) -> (token: String, cookie: SetCookie?) {
        if let existing = request.cookies[csrfCookie], existing.utf8.count == 43 { return (existing, nil) }
        let fresh = Base64URL.encode(SecureRandom.bytes(count: 32))
        return (fresh, SetCookie(name: csrfCookie, value: fresh, secure: secure, sameSite: .strict))
    }

    /// A form is accepted only with the cookie's token repeated in the body (compared in constant
    /// time) and, when the browser names an origin, from this server (`DOMAIN_SERVER`'s origin, or
    /// the one the request's `Host` names).
    static func checkCSRF(_ request: HTTPRequest, fields: [String: String], origin: String) -> Bool {
        if let sent = request.headers["Origin"]?.lowercased(), sent != "null" {
            let host = (request.headers["Host"] ?? "").lowercased()
            guard [origin.lowercased(), "http://" + host, "https://" + host].contains(sent) else { return false }
        }
        guard let cookie = request.cookies[csrfCookie], let field = fields["csrf"], cookie.utf8.count == 43 else {
            return false
        }
        return ConstantTime.equals(Array(cookie.utf8), Array(field.utf8))
    }
}
