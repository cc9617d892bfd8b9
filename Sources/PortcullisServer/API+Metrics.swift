import Foundation
import PortcullisCore
import PortcullisMail
import PortcullisStore
import Synchronization

/// `GET /metrics`: Prometheus text, the request metrics (every answer, by route and status) and the
/// engine's counters and gauges.
extension API {
    func renderMetrics() -> String {
        let metrics = service.metrics
        var out = requestMetrics.render()
        let gauges: [(String, String, String, Int)] = [
            ("portcullis_logins_total", "counter", "{result=\"success\"}", metrics.loginsSucceeded.current),
            ("portcullis_logins_total", "counter", "{result=\"failure\"}", metrics.loginsFailed.current),
            ("portcullis_registrations_total", "counter", "", metrics.registrations.current),
            ("portcullis_refreshes_total", "counter", "", metrics.refreshes.current),
            ("portcullis_refresh_reuse_detected_total", "counter", "", metrics.refreshReuse.current),
            ("portcullis_hash_queue_depth", "gauge", "", service.hashing.depth),
            ("portcullis_hash_rejections_total", "counter", "", service.hashing.rejected),
            ("portcullis_users", "gauge", "", service.users.count),
            ("portcullis_sessions", "gauge", "", service.sessions.count),
            ("portcullis_bans_issued_total", "counter", "", moderation.bansIssued.current),
            ("portcullis_mail_sent_total", "counter", "", engine.outbox.sent.current),
            ("portcullis_mail_failed_total", "counter", "", engine.outbox.failed.current),
            ("portcullis_mail_retries_total", "counter", "", engine.outbox.retried.current),
            ("portcullis_rate_limited_total", "counter", "", moderation.limited.current),
            ("portcullis_device_cookies_issued_total", "counter", "", metrics.deviceCookiesIssued.current),
            (
                "portcullis_two_factor_logins_total", "counter", "{result=\"success\"}",
                metrics.twoFactorLoginsSucceeded.current
            ),
            (
                "portcullis_two_factor_logins_total", "counter", "{result=\"failure\"}",
                metrics.twoFactorLoginsFailed.current
            ),
            ("portcullis_two_factor_replays_refused_total", "counter", "", metrics.twoFactorReplays.current),
            ("portcullis_backup_codes_used_total", "counter", "", metrics.backupCodesUsed.current),
            (
                "portcullis_passkey_logins_total", "counter", "{result=\"success\"}",
                metrics.passkeyLoginsSucceeded.current
            ),
            (
                "portcullis_passkey_logins_total", "counter", "{result=\"failure\"}",
                metrics.passkeyLoginsFailed.current
            ),
            ("portcullis_passkeys", "gauge", "", service.passkeys.count),
            ("portcullis_lockouts_started_total", "counter", "", service.lockout?.started.current ?? 0),
            ("portcullis_lockout_refusals_total", "counter", "", service.lockout?.refused.current ?? 0),
            ("portcullis_lockout_windows", "gauge", "", service.lockout?.windows.current ?? 0),
        ]
        var described = Set<String>()
        for (name, type, labels, value) in gauges {
            if described.insert(name).inserted { out += "# TYPE \(name) \(type)\n" }
            out += "\(name)\(labels) \(value)\n"
        }
        out +=
            "# TYPE portcullis_uptime_seconds gauge\nportcullis_uptime_seconds \(Int(Date().timeIntervalSince(startedAt)))\n"
        do {
            let statistics = engine.persistence.journal.statistics
            out +=
                "# TYPE portcullis_journal_records_total counter\nportcullis_journal_records_total \(statistics.records)\n"
            out +=
                "# TYPE portcullis_journal_commits_total counter\nportcullis_journal_commits_total \(statistics.commits)\n"
            if let snapshot = engine.lastSnapshot.withLock({ $0 }) {
                out += "# TYPE portcullis_snapshot_bytes gauge\nportcullis_snapshot_bytes \(snapshot.bytes)\n"
                out += "# TYPE portcullis_snapshot_position gauge\nportcullis_snapshot_position \(snapshot.position)\n"
            }
        }
        return out
    }
}
