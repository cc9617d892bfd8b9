import Logging
import PortcullisCore
import PortcullisCrypto
import PortcullisHTTP

/// Passkeys on the pages: the account page registers, renames and removes them; the sign-in page
/// signs in with one. The page's script (`/assets/passkeys.js`) fetches the options, runs the
/// browser's ceremony and posts the result back as a form (base64url fields), so the same CSRF
/// check as every form applies. Refusals are JSON `{"message"}` for the script to show.
extension API {
    /// What a form may carry per field, before decoding (the largest: an RSA-4096 attestation).
    static let passkeyFieldLimit = 8192

    func addAccountPasskeyRoutes(_ routes: inout Routes) {
        routes.on(.post, "/account/passkeys/options") { [self] request in
            try await accountForm(request, json: true) { _, user, session, _ in
                try requireRecentSignIn(session)
                guard let options = await service.passkeyRegistrationOptions(user: user) else {
                    throw APIError.message(Self.passkeysUnavailable, .notFound)
                }
                return Self.noStore(.json(bytes: Self.json(options)))
            }
        }
        routes.on(.post, "/account/passkeys") { [self] request in
            try await accountForm(request, json: true) { request, user, session, fields in
                try requireRecentSignIn(session)
                guard let clientData = Self.base64URLField(fields, "clientDataJSON"),
                    let attestation = Self.base64URLField(fields, "attestationObject")
                else { throw APIError.message("The passkey response is incomplete.", .badRequest) }
                switch await service.registerPasskey(
                    user: user, name: fields["name"], clientDataJSON: clientData, attestationObject: attestation,
                    client: clientInfo(request))
                {
                case .added(let passkey):
                    var writer = JSONWriter()
                    writer.beginObject()
                    writer.field("id", passkey.id)
                    writer.field("name", passkey.name)
                    writer.endObject()
                    return Self.noStore(.json(bytes: writer.bytes, status: .created))
                case .unavailable: throw APIError.message(Self.passkeysUnavailable, .notFound)
                case .refused(let reason):
                    logger.info("passkey registration refused", metadata: ["reason": "\(reason)"])
                    throw APIError.message("The passkey could not be registered. Please try again.", .badRequest)
                case .invalidName:
                    throw APIError.message(
                        "A passkey name is at most \(Passkey.maximumNameLength) characters on one line.", .badRequest)
                case .exists: throw APIError.message("This passkey is registered already.", .conflict)
                case .tooMany:
                    throw APIError.message("An account has at most \(Passkey.maximumPerUser) passkeys.", .conflict)
                }
            }
        }
        routes.on(.post, "/account/passkeys/rename") { [self] request in
            try await accountForm(request) { request, user, _, fields in
                switch await service.renamePasskey(user: user, id: fields["passkey"] ?? "", name: fields["name"]) {
                case .done: return await accountPage(request, notice: "Passkey renamed.")
                case .notFound: return await accountPage(request, error: "No such passkey.", status: .notFound)
                case .invalidName:
                    // The rename inputs are one per passkey, so the message goes above the list.
                    return await accountPage(
                        request, error: "A passkey name is 1 to \(Passkey.maximumNameLength) characters.",
                        status: .badRequest)
                }
            }
        }
        routes.on(.post, "/account/passkeys/remove") { [self] request in
            try await accountForm(request) { request, user, _, fields in
                switch await service.removePasskey(user: user, id: fields["passkey"] ?? "", client: clientInfo(request))
                {
                case .done: return await accountPage(request, notice: "Passkey removed.")
                default: return await accountPage(request, error: "No such passkey.", status: .notFound)
                }
            }
        }
    }

    func addLoginPasskeyRoutes(_ routes: inout Routes) {
        routes.on(.post, "/login/passkey/options") { [self] request in
            guard let fields = form(request) else { throw APIError.message(Self.expiredForm, .forbidden) }
            let email = fields["email"].flatMap { $0.isEmpty || $0.utf8.count > 254 ? nil : $0 }
            guard let options = await service.passkeyLoginOptions(email: email) else {
                throw APIError.message(Self.passkeysUnavailable, .notFound)
            }
            return Self.noStore(.json(bytes: Self.json(options)))
        }
        routes.on(.post, "/login/passkey") { [self] request in
            guard let fields = form(request) else { throw APIError.message(Self.expiredForm, .forbidden) }
            guard let credentialID = Self.base64URLField(fields, "id"),
                let clientData = Self.base64URLField(fields, "clientDataJSON"),
                let authenticatorData = Self.base64URLField(fields, "authenticatorData"),
                let signature = Self.base64URLField(fields, "signature")
            else { throw APIError.message("The passkey response is incomplete.", .badRequest) }
            let userHandle = Self.base64URLField(fields, "userHandle")
            let email = fields["email"].flatMap { $0.isEmpty || $0.utf8.count > 254 ? nil : $0 }
            try await moderateLogin(request, email: email)
            let assertion = AuthService.PasskeyAssertion(
                credentialID: credentialID, clientDataJSON: clientData, authenticatorData: authenticatorData,
                signature: signature, userHandle: userHandle, email: email)
            switch try await service.passkeyLogin(
                assertion, client: clientInfo(request), deviceCookie: request.cookies[DeviceCookie.name],
                banExpiry: { [moderation] in await moderation.banExpiry(userId: $0, ip: nil) })
            {
            case .success(let tokens):
                await notifyNewSignIn(tokens, request)
                return Self.noStore(sessionResponse(tokens, browser: true))
            case .unavailable: throw APIError.message(Self.passkeysUnavailable, .notFound)
            case .refused(let reason):
                logger.info("passkey sign-in refused", metadata: ["reason": "\(reason)"])
                throw APIError.message("This passkey was not accepted.", .unauthorized)
            case .unverified: throw APIError.message("Email not verified.", .forbidden)
            case .banned(let expiry): throw APIError.banned(retryAfter: secondsUntil(expiry))
            }
        }
    }

    /// A stolen session must not be turned into a lasting way in: only a recent sign-in adds a passkey.
    func requireRecentSignIn(_ session: Session) throws(APIError) {
        guard engine.clock.milliseconds - session.createdAt <= Self.passkeyFreshness else {
            throw .message(Self.signInAgainForPasskey, .forbidden)
        }
    }

    /// How recent the sign-in must be that adds a passkey.
    static let passkeyFreshness: Int64 = 15 * 60_000
    static let signInAgainForPasskey =
        "For your safety, adding a passkey needs a recent sign-in. Please sign out and sign in again."
    static let passkeysUnavailable = "Passkeys need the server to be reached by a domain name, not an IP address."

    /// A base64url form field within the size limit, decoded; `nil` when absent, empty or not base64url.
    static func base64URLField(_ fields: [String: String], _ name: String) -> [UInt8]? {
        guard let text = fields[name], !text.isEmpty, text.utf8.count <= passkeyFieldLimit else { return nil }
        return Base64URL.decode(text)
    }

    /// `{"publicKey": PublicKeyCredentialCreationOptionsJSON}` (WebAuthn Level 3's JSON form, which
    /// the page's script turns into buffers).
    static func json(_ options: AuthService.PasskeyCreationOptions) -> [UInt8] {
        publicKeyOptions(challenge: options.challenge) { writer in
            writer.key("rp")
            writer.beginObject()
            writer.field("id", options.rpID)
            writer.field("name", options.rpName)
            writer.endObject()
            writer.key("user")
            writer.beginObject()
            writer.field("id", Base64URL.encode(options.userHandle))
            writer.field("name", options.userName)
            writer.field("displayName", options.displayName)
            writer.endObject()
            writer.key("pubKeyCredParams")
            writer.raw(#"[{"type":"public-key","alg":-7},{"type":"public-key","alg":-257}]"#)
            credentials(&writer, "excludeCredentials", options.excludeCredentials)
            writer.key("authenticatorSelection")
            writer.raw(#"{"residentKey":"required","requireResidentKey":true,"userVerification":"required"}"#)
            writer.field("attestation", "none")
        }
    }

    /// `{"publicKey": PublicKeyCredentialRequestOptionsJSON}`.
    static func json(_ options: AuthService.PasskeyRequestOptions) -> [UInt8] {
        publicKeyOptions(challenge: options.challenge) { writer in
            writer.field("rpId", options.rpID)
            credentials(&writer, "allowCredentials", options.allowCredentials)
            writer.field("userVerification", "required")
        }
    }

    /// `{"publicKey": {"challenge": …, "timeout": …, <fields>}}`: what both ceremonies' options share.
    static func publicKeyOptions(challenge: [UInt8], _ fields: (inout JSONWriter) -> Void) -> [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("publicKey")
        writer.beginObject()
        writer.field("challenge", Base64URL.encode(challenge))
        writer.key("timeout")
        writer.raw(String(AuthService.passkeyTimeout))
        fields(&writer)
        writer.endObject()
        writer.endObject()
        return writer.bytes
    }

    static func credentials(_ writer: inout JSONWriter, _ name: String, _ ids: [[UInt8]]) {
        writer.key(name)
        writer.beginArray()
        for id in ids {
            writer.beginObject()
            writer.field("type", "public-key")
            writer.field("id", Base64URL.encode(id))
            writer.endObject()
        }
        writer.endArray()
    }
}
