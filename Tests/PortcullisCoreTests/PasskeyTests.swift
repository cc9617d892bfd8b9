import PortcullisCrypto
import Testing

@testable import PortcullisCore

@Suite("Passkey challenges and the passkey store")
struct PasskeyTests {
    @Test("a challenge works once, for its ceremony and subject, until it expires")
    func challenges() {
        let clock = ManualClock(milliseconds: 1_800_000_000_000)
        let challenges = PasskeyChallenges(secret: Array("secret".utf8), clock: clock)
        let issued = challenges.issue(.authentication, subject: "a@example.com")
        #expect(issued.count == 42)
        #expect(!challenges.redeem(issued, .registration, subject: "a@example.com"))
        #expect(!challenges.redeem(issued, .authentication, subject: "b@example.com"))
        var forged = issued
        forged[5] ^= 1
        #expect(!challenges.redeem(forged, .authentication, subject: "a@example.com"))
        #expect(challenges.redeem(issued, .authentication, subject: "a@example.com"))
        #expect(!challenges.redeem(issued, .authentication, subject: "a@example.com"))

        let late = challenges.issue(.registration, subject: "user-1")
        clock.advance(by: PasskeyChallenges.lifetime)
        #expect(!challenges.redeem(late, .registration, subject: "user-1"))
        let other = PasskeyChallenges(secret: Array("other".utf8), clock: clock)
        #expect(!other.redeem(challenges.issue(.registration, subject: "u"), .registration, subject: "u"))
        challenges.sweep()
    }

    static func passkey(_ user: String, _ id: [UInt8], count: UInt32 = 0) -> Passkey {
        Passkey(
            credentialID: id, userId: user, publicKey: [0xA0], name: "Key", signCount: count, backupEligible: false,
            backedUp: false, aaguid: [UInt8](repeating: 0, count: 16), createdAt: 1)
    }

    @Test("one credential belongs to one account; counters only go up; every change is journaled")
    func store() async {
        let journal = RecordingJournal()
        let store = PasskeyStore(shardCount: 4, journal: journal)
        #expect(await store.add(Self.passkey("u1", [1])) == .added)
        #expect(await store.add(Self.passkey("u2", [1])) == .exists)
        #expect(await store.add(Self.passkey("u1", [2], count: 5)) == .added)
        #expect(await store.recordUse(userId: "u1", credentialID: [2], signCount: 5, backedUp: false, at: 2) == nil)
        #expect(
            await store.recordUse(userId: "u1", credentialID: [2], signCount: 6, backedUp: true, at: 2)?.backedUp
                == true)
        // A counter-less authenticator (always 0) stays usable.
        #expect(await store.recordUse(userId: "u1", credentialID: [1], signCount: 0, backedUp: false, at: 3) != nil)
        for index in 3...Passkey.maximumPerUser {
            #expect(await store.add(Self.passkey("u1", [UInt8(index)])) == .added)
        }
        #expect(await store.add(Self.passkey("u1", [200])) == .tooMany)
        #expect(await store.add(Self.passkey("u3", [200])) == .added)  // the refused ID was not kept
        #expect(await store.rename(userId: "u1", credentialID: [1], to: "Phone")?.name == "Phone")
        #expect(await store.remove(userId: "u2", credentialID: [1]) == nil)
        #expect(await store.remove(userId: "u1", credentialID: [1]) != nil)
        #expect(await store.add(Self.passkey("u2", [1])) == .added)

        // Replaying the journal into an empty store gives the same state.
        let replayed = PasskeyStore(shardCount: 2, journal: nil)
        for entry in journal.entries { await replayed.replay(entry as! PasskeyEntry) }
        #expect(Set(await replayed.all().map(\.id)) == Set(await store.all().map(\.id)))
        #expect(await replayed.passkey(userId: "u1", credentialID: [2])?.signCount == 6)
        await store.removeAll(userId: "u1")
        #expect(await store.passkeys(userId: "u1").isEmpty && store.count == 2)
        #expect(await store.add(Self.passkey("u9", [2])) == .added)
    }
}
