import PortcullisCore

/// The account flows' mails, written with ``MailTemplates`` and queued in the durable ``Outbox``.
public struct OutboxMailer: AccountMailer {
    public let outbox: Outbox
    public let appTitle: String

    public init(outbox: Outbox, appTitle: String) {
        self.outbox = outbox
        self.appTitle = appTitle
    }

    public var isEnabled: Bool { outbox.isEnabled }

    public func sendVerification(to user: User, link: String) async {
        await send(to: user.email, MailTemplates.verifyEmail(appTitle: appTitle, name: user.name, link: link))
    }

    public func sendPasswordReset(to user: User, link: String) async {
        await send(to: user.email, MailTemplates.passwordReset(appTitle: appTitle, name: user.name, link: link))
    }

    public func sendPasswordChanged(to user: User) async {
        await send(to: user.email, MailTemplates.passwordChanged(appTitle: appTitle, name: user.name))
    }

    public func sendInvite(to email: String, link: String) async {
        await send(to: email, MailTemplates.invite(appTitle: appTitle, link: link))
    }

    public func sendNewSignIn(to user: User, at time: String, device: String, ip: String, link: String) async {
        await send(
            to: user.email,
            MailTemplates.newSignIn(appTitle: appTitle, name: user.name, time: time, device: device, ip: ip, link: link)
        )
    }

    private func send(to address: String, _ mail: (subject: String, text: String, html: String)) async {
        await outbox.enqueue(to: address, subject: mail.subject, text: mail.text, html: mail.html)
    }
}
