import Foundation
import PortcullisCore

/// Mail is queued durably and delivered by a worker with retries and exponential backoff, so a
/// request never waits for the mail server (no enumeration by timing) and a restart drops nothing.
public final class Outbox: Sendable {
    public let queue: MailQueue
    private let transport: (any MailTransport)?
    private let journal: (any MutationJournal)?
    private let maximumDelay: Int64
    private let maximumAttempts: Int
    private let sending = DispatchQueue(label: "portcullis-mail")
    private let log: @Sendable (String) -> Void
    private let clock: any WallClock
    public let sent = Counter()
    public let failed = Counter()
    public let retried = Counter()

    /// - Parameter transport: `nil` when email is not configured (nothing is ever queued then).
    public init(
        transport: (any MailTransport)?, journal: (any MutationJournal)?, maximumDelay: Int64 = 300_000,
        maximumAttempts: Int = 30, clock: any WallClock = SystemClock(),
        log: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.transport = transport
        self.clock = clock
        self.journal = journal
        self.maximumDelay = maximumDelay
        self.maximumAttempts = maximumAttempts
        self.log = log
        queue = MailQueue(journal: journal)
    }

    public var isEnabled: Bool { transport != nil }

    /// Queues a mail durably; delivery happens later.
    public func enqueue(to: String, subject: String, text: String, html: String) async {
        guard transport != nil else { return }
        let mail = OutboxMail(
            id: ObjectID.generate(), to: to, subject: subject, text: text, html: html, attempts: 0, nextAttempt: 0)
        if let ticket = await queue.put(mail), let journal { await journal.waitUntilDurable(ticket) }
    }

    /// Starts the delivery loop (polls the queue every 200 ms).
    public func start() {
        guard transport != nil else { return }
        Task.detached { [self] in
            while !Task.isCancelled {
                if await deliverDue() == 0 { try? await Task.sleep(for: .milliseconds(200)) }
            }
        }
    }

    /// Makes every mail waiting for a retry due now (the dashboard's "retry now"); returns how many.
    @discardableResult
    public func retryNow() async -> Int {
        var last: UInt64?
        var count = 0
        for var mail in await queue.all() where mail.nextAttempt > clock.milliseconds {
            mail.nextAttempt = 0
            if let ticket = await queue.put(mail) { last = max(last ?? 0, ticket) }
            count += 1
        }
        if let last, let journal { await journal.waitUntilDurable(last) }
        return count
    }

    /// Tries every mail due now (at most 16); returns how many were tried. The delivery loop calls
    /// it; tests call it directly with a manual clock.
    @discardableResult
    public func deliverDue() async -> Int {
        guard let transport else { return 0 }
        let due = await queue.due(now: clock.milliseconds, limit: 16)
        for mail in due { await deliver(mail, via: transport) }
        return due.count
    }

    private func deliver(_ mail: OutboxMail, via transport: any MailTransport) async {
        let outcome: MailError? = await withCheckedContinuation {
            (continuation: CheckedContinuation<MailError?, Never>) in
            sending.async {
                do throws(MailError) {
                    try transport.send(to: mail.to, subject: mail.subject, text: mail.text, html: mail.html)
                    continuation.resume(returning: nil)
                } catch {
                    continuation.resume(returning: error)
                }
            }
        }
        guard let error = outcome else {
            sent.increment()
            _ = await queue.remove(mail.id)
            return
        }
        var next = mail
        next.attempts += 1
        if error.permanent || next.attempts >= maximumAttempts {
            failed.increment()
            log("mail \(mail.id) to \(redact(mail.to)) given up after \(next.attempts) attempt(s): \(error)")
            _ = await queue.remove(mail.id)
            return
        }
        retried.increment()
        let delay = min(maximumDelay, 1000 << Int64(min(next.attempts - 1, 20)))
        next.nextAttempt = clock.milliseconds + delay
        log("mail \(mail.id) attempt \(next.attempts) failed (\(error)); retrying in \(delay / 1000) s")
        _ = await queue.put(next)
    }

    /// Logs name the domain, not the mailbox.
    func redact(_ address: String) -> String {
        guard let at = address.lastIndex(of: "@") else { return "…" }
        return "…" + address[at...]
    }
}

/// The four messages, built only from trusted configuration (`DOMAIN_CLIENT`, `APP_TITLE`) and the
/// user's own name; never from request headers.
public enum MailTemplates {
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func html(_ title: String, _ paragraphs: [String], link: (String, String)?) -> String {
        var body = "<!doctype html><html><body style=\"font-family:sans-serif\"><h2>\(escape(title))</h2>"
        for paragraph in paragraphs { body += "<p>\(escape(paragraph))</p>" }
        if let (label, url) = link {
            body += "<p><a href=\"\(escape(url))\">\(escape(label))</a></p><p>\(escape(url))</p>"
        }
        return body + "</body></html>"
    }

    public static func verifyEmail(appTitle: String, name: String, link: String) -> (String, String, String) {
        let subject = "Verify your email"
        let text =
            "Hi \(name),\n\nPlease verify your email address for \(appTitle) by opening this link:\n\(link)\n\nIf you did not create an account, ignore this message.\n"
        return (
            subject, text,
            html(
                subject, ["Hi \(name),", "Please verify your email address for \(appTitle)."],
                link: ("Verify email", link))
        )
    }

    public static func passwordReset(appTitle: String, name: String, link: String) -> (String, String, String) {
        let subject = "Password Reset Request"
        let text =
            "Hi \(name),\n\nYou asked to reset your \(appTitle) password. Open this link to choose a new one:\n\(link)\n\nIf you did not ask for this, ignore this message; your password is unchanged.\n"
        return (
            subject, text,
            html(
                subject, ["Hi \(name),", "You asked to reset your \(appTitle) password."],
                link: ("Reset password", link))
        )
    }

    public static func passwordChanged(appTitle: String, name: String) -> (String, String, String) {
        let subject = "Password Reset Successfully"
        let text =
            "Hi \(name),\n\nYour \(appTitle) password was changed and every session was signed out.\nIf this was not you, reset your password now and contact the administrator.\n"
        return (
            subject, text,
            html(
                subject, ["Hi \(name),", "Your \(appTitle) password was changed and every session was signed out."],
                link: nil)
        )
    }

    public static func newSignIn(
        appTitle: String, name: String, time: String, device: String, ip: String, link: String
    )
        -> (String, String, String)
    {
        let subject = "New sign-in to \(appTitle)"
        let facts = "When: \(time)\nDevice: \(device)\nAddress: \(ip)"
        let text =
            "Hi \(name),\n\nYour \(appTitle) account was just signed in to from a device it has not seen before.\n\n\(facts)\n\n"
            + "If this was you, there is nothing to do. If not, change your password and end that session here:\n\(link)\n"
        return (
            subject, text,
            html(
                subject,
                [
                    "Hi \(name),",
                    "Your \(appTitle) account was just signed in to from a device it has not seen before.",
                    "When: \(time)", "Device: \(device)", "Address: \(ip)",
                ],
                link: ("Review your sessions", link))
        )
    }

    public static func invite(appTitle: String, link: String) -> (String, String, String) {
        let subject = "Invite to join \(appTitle)!"
        let text =
            "You have been invited to join \(appTitle). Create your account here:\n\(link)\n\nThe invitation is valid for 7 days.\n"
        return (
            subject, text,
            html(
                subject, ["You have been invited to join \(appTitle).", "The invitation is valid for 7 days."],
                link: ("Create your account", link))
        )
    }
}
