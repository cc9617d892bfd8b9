import PortcullisCore

/// The bans an administrator or the operator sets and lifts, for the dashboard, the admin API and
/// the command line alike: each holds whatever `BAN_VIOLATIONS` says, and each is audited.
extension Engine {
    /// Bans `user` for `minutes` (their sessions end), with `reason` in the audit log.
    func ban(_ user: User, minutes: Int64, reason: String, actor: String, client: ClientInfo? = nil) async {
        await moderation.ban(
            userId: user.id, ip: nil, duration: minutes * 60_000, type: Moderation.administratorBanType)
        await provider.endGrants(ofUser: user.id)
        await service.audit.record(
            .banned, actor: actor, subject: user, client: client, detail: "\(minutes) minute(s): \(reason)")
    }

    /// Lifts the ban on `subject` (`user:<id>`, `ip:<address>`); false when there was none.
    func liftBan(_ subject: String, actor: String, client: ClientInfo? = nil) async -> Bool {
        guard await moderation.unban(subject: subject) else { return false }
        await service.audit.record(
            .unbanned, actor: actor, subject: await user(bannedAs: subject), client: client, detail: subject)
        return true
    }
}
