/// The mails the account flows send. The mail module implements it (templates, the durable outbox
/// and delivery); the flows decide only who gets which mail with which link.
public protocol AccountMailer: Sendable {
    /// Whether mail is delivered at all (email configured).
    var isEnabled: Bool { get }
    func sendVerification(to user: User, link: String) async
    func sendPasswordReset(to user: User, link: String) async
    func sendPasswordChanged(to user: User) async
    func sendInvite(to email: String, link: String) async
    /// "New sign-in to APP_TITLE": when, from which device and address, and where to review it.
    func sendNewSignIn(to user: User, at time: String, device: String, ip: String, link: String) async
}
