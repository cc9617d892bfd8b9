import CPortcullisCurl
import Foundation

/// Why a mail was not delivered; permanent failures are not retried.
public struct MailError: Error, CustomStringConvertible, Sendable {
    public var permanent: Bool
    public var description: String
}

/// Something that delivers one message (blocking; called from the outbox's own thread).
public protocol MailTransport: Sendable {
    func send(to recipient: String, subject: String, text: String, html: String) throws(MailError)
}

private let curlInitialised: Bool = {
    curl_global_init(Int(CURL_GLOBAL_DEFAULT))
    return true
}()

/// A libcurl easy handle with the settings every transport shares (bounded connect and transfer
/// times, no signals), cleaned up after `body`.
private func withEasyHandle<T>(
    timeout: Int, _ body: (UnsafeMutableRawPointer) throws(MailError) -> T
) throws(MailError) -> T {
    _ = curlInitialised
    guard let handle = curl_easy_init() else { throw MailError(permanent: false, description: "curl_easy_init failed") }
    defer { curl_easy_cleanup(handle) }
    _ = CPortcullisCurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT, 10)
    _ = CPortcullisCurl_setopt_long(handle, CURLOPT_TIMEOUT, timeout)
    _ = CPortcullisCurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
    return try body(handle)
}

/// SMTP through libcurl: implicit TLS (`smtps://`), required or opportunistic STARTTLS, optional
/// AUTH, certificate checks unless `EMAIL_ALLOW_SELFSIGNED`, bounded connect and transfer times.
public struct SMTPTransport: MailTransport {
    public let configuration: EmailConfiguration

    public init(configuration: EmailConfiguration) {
        self.configuration = configuration
    }

    public func send(to recipient: String, subject: String, text: String, html: String) throws(MailError) {
        let c = configuration
        let message = MailMessage.build(
            from: c.from, fromName: c.fromName, to: recipient, subject: subject, text: text, html: html)
        try withEasyHandle(timeout: c.timeoutSeconds) { handle throws(MailError) in
            try deliver(message, to: recipient, handle: handle)
        }
    }

    private func deliver(_ message: [UInt8], to recipient: String, handle: UnsafeMutableRawPointer) throws(MailError) {
        let c = configuration
        let urlHost = c.encryptionHostname ?? c.host
        let url = (c.encryption == .tls ? "smtps://" : "smtp://") + "\(urlHost):\(c.port)"
        let recipients: UnsafeMutablePointer<curl_slist>? = curl_slist_append(nil, "<\(recipient)>")
        var connectTo: UnsafeMutablePointer<curl_slist>?
        defer {
            curl_slist_free_all(recipients)
            curl_slist_free_all(connectTo)
        }
        _ = CPortcullisCurl_setopt_string(handle, CURLOPT_URL, url)
        if let name = c.encryptionHostname, name != c.host {
            // Connect to EMAIL_HOST but check the certificate against EMAIL_ENCRYPTION_HOSTNAME.
            connectTo = curl_slist_append(nil, "\(name):\(c.port):\(c.host):\(c.port)")
            _ = CPortcullisCurl_setopt_slist(handle, CURLOPT_CONNECT_TO, connectTo)
        }
        _ = CPortcullisCurl_setopt_string(handle, CURLOPT_MAIL_FROM, "<\(c.from)>")
        _ = CPortcullisCurl_setopt_slist(handle, CURLOPT_MAIL_RCPT, recipients)
        if c.encryption != .tls {
            let level = c.encryption == .starttls ? CURLUSESSL_ALL : CURLUSESSL_TRY
            _ = CPortcullisCurl_setopt_long(handle, CURLOPT_USE_SSL, Int(level.rawValue))
        }
        if c.allowSelfSigned {
            _ = CPortcullisCurl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 0)
            _ = CPortcullisCurl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 0)
        }
        if let username = c.username, let password = c.password {
            _ = CPortcullisCurl_setopt_string(handle, CURLOPT_USERNAME, username)
            _ = CPortcullisCurl_setopt_string(handle, CURLOPT_PASSWORD, password)
        }
        let code = message.withUnsafeBufferPointer { buffer -> CURLcode in
            var upload = CPortcullisCurl_Upload(bytes: buffer.baseAddress, length: buffer.count, offset: 0)
            _ = CPortcullisCurl_set_upload(handle, &upload)
            return curl_easy_perform(handle)
        }
        guard code != CURLE_OK else { return }
        let response = CPortcullisCurl_response_code(handle)
        let reason = String(cString: curl_easy_strerror(code))
        // A 5xx answer (unknown recipient, policy) will not change by retrying; everything else might.
        throw MailError(permanent: response >= 500 && response < 600, description: "SMTP \(response): \(reason)")
    }
}

/// Mailgun's HTTP API (`MAILGUN_API_KEY`, `MAILGUN_DOMAIN`, `MAILGUN_HOST`).
public struct MailgunTransport: MailTransport {
    public let configuration: EmailConfiguration

    public init(configuration: EmailConfiguration) {
        self.configuration = configuration
    }

    public func send(to recipient: String, subject: String, text: String, html: String) throws(MailError) {
        try withEasyHandle(timeout: configuration.timeoutSeconds) { handle throws(MailError) in
            try post(to: recipient, subject: subject, text: text, html: html, handle: handle)
        }
    }

    private func post(
        to recipient: String, subject: String, text: String, html: String, handle: UnsafeMutableRawPointer
    ) throws(MailError) {
        let c = configuration
        func escape(_ value: String) -> String {
            guard let escaped = curl_easy_escape(handle, value, Int32(value.utf8.count)) else { return "" }
            defer { curl_free(escaped) }
            return String(cString: escaped)
        }
        let from = c.fromName.isEmpty ? c.from : "\(c.fromName) <\(c.from)>"
        let body = [
            "from=\(escape(from))", "to=\(escape(recipient))", "subject=\(escape(subject))",
            "text=\(escape(text))", "html=\(escape(html))",
        ].joined(separator: "&")
        _ = CPortcullisCurl_setopt_string(handle, CURLOPT_URL, "\(c.mailgunHost)/v3/\(c.mailgunDomain ?? "")/messages")
        _ = CPortcullisCurl_setopt_string(handle, CURLOPT_USERNAME, "api")
        _ = CPortcullisCurl_setopt_string(handle, CURLOPT_PASSWORD, c.mailgunKey ?? "")
        _ = CPortcullisCurl_setopt_string(handle, CURLOPT_COPYPOSTFIELDS, body)
        var storage = [CChar](repeating: 0, count: 4096)
        let code = storage.withUnsafeMutableBufferPointer { buffer -> CURLcode in
            var capture = CPortcullisCurl_Capture(bytes: buffer.baseAddress, capacity: buffer.count, length: 0)
            _ = CPortcullisCurl_set_capture(handle, &capture)
            return curl_easy_perform(handle)
        }
        let status = CPortcullisCurl_response_code(handle)
        guard code == CURLE_OK else {
            throw MailError(permanent: false, description: "Mailgun: \(String(cString: curl_easy_strerror(code)))")
        }
        guard (200..<300).contains(status) else {
            throw MailError(
                permanent: (400..<500).contains(status) && status != 429, description: "Mailgun HTTP \(status)")
        }
    }
}
