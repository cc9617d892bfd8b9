import Testing

@testable import PortcullisCore

@Suite("The audit log")
struct AuditLogTests {
    static func event(_ kind: AuditKind, subject: String, at time: Int64, actor: String? = nil) -> AuditEvent {
        AuditEvent(time: time, kind: kind, actor: actor ?? subject, subject: subject, email: subject + "@example.com")
    }

    @Test("queries by user, kind and time, newest first; fields are bounded")
    func queries() async {
        let log = AuditLog(capacity: 1_000, shardCount: 4, journal: nil, clock: ManualClock(milliseconds: 10_000))
        await log.record(Self.event(.signIn, subject: "u1", at: 1_000))
        await log.record(Self.event(.banned, subject: "u2", at: 2_000, actor: "admin"))
        await log.record(Self.event(.signIn, subject: "u2", at: 3_000))
        await log.record(Self.event(.roleChanged, subject: "u3", at: 4_000, actor: "admin"))
        #expect(await log.events(AuditQuery()).map(\.time) == [4_000, 3_000, 2_000, 1_000])
        #expect(await log.events(AuditQuery(user: "u2")).map(\.kind) == [.signIn, .banned])
        #expect(await log.events(AuditQuery(user: "admin")).map(\.subject) == ["u3", "u2"])
        #expect(await log.events(AuditQuery(kinds: [.signIn])).count == 2)
        #expect(await log.events(AuditQuery(since: 2_000, until: 3_000)).map(\.time) == [3_000, 2_000])
        #expect(await log.events(AuditQuery(limit: 1)).map(\.time) == [4_000])
        let long = AuditEvent(time: 1, kind: .signIn, actor: "a", device: String(repeating: "é", count: 500))
        #expect((long.device?.utf8.count ?? 0) <= AuditEvent.maximumField)
    }

    @Test("retention: the newest entries within the count, none older than the age")
    func retention() async {
        let clock = ManualClock(milliseconds: 100 * 86_400_000)
        let log = AuditLog(capacity: 100, retentionDays: 90, shardCount: 4, journal: nil, clock: clock)
        for index in 0..<1_000 {
            await log.record(Self.event(.signIn, subject: "u\(index % 8)", at: Int64(index) * 86_400_000 / 10))
        }
        let kept = await log.count()
        #expect(kept == 100)  // the count bound is the whole log's
        #expect(await log.events(AuditQuery(limit: 1)).first?.time == 999 * 86_400_000 / 10)
        await log.sweep()  // now is day 100: entries before day 10 go
        #expect(await log.all().allSatisfy { $0.time >= 10 * 86_400_000 })
    }

    @Test("replaying the journal gives the same log, sequence numbers included")
    func replay() async {
        let journal = RecordingJournal()
        let log = AuditLog(capacity: 1_000, shardCount: 3, journal: journal, clock: ManualClock())
        for index in 0..<50 { await log.record(Self.event(.sessionEnded, subject: "u\(index % 5)", at: Int64(index))) }
        let restored = AuditLog(capacity: 1_000, shardCount: 2, journal: nil, clock: ManualClock())
        for entry in journal.entries { await restored.replay(entry as! AuditEntry) }
        #expect(await restored.all() == (await log.all()))
        await restored.record(Self.event(.signIn, subject: "u9", at: 99))
        #expect(await restored.events(AuditQuery(limit: 1)).first?.sequence == 51)
    }
}
