import Testing

@testable import PortcullisCore

@Suite("The admin dashboard's user directory")
struct UserDirectoryTests {
    static func user(_ index: Int, provider: String = "local") -> User {
        User(
            id: ObjectID.generate(), name: "Person \(index)", username: "user\(index)",
            email: "person\(index)@example.com", emailVerified: true, passwordHash: nil, provider: provider,
            createdAt: Int64(index), updatedAt: Int64(index))
    }

    @Test("search by any field, newest first, paging; updates and removals are seen at once")
    func search() async {
        let store = UserStore(shardCount: 4)
        var users: [User] = []
        for index in 0..<300 {
            let user = Self.user(index, provider: index % 3 == 0 ? "google" : "local")
            users.append(user)
            _ = await store.create(user, promoteFirstToAdmin: false)
        }
        let directory = store.directory
        #expect(!directory.isActive)
        #expect(await store.search("").total == 300)
        #expect(await store.search("", limit: 3).ids == [users[299].id, users[298].id, users[297].id])
        #expect(await store.search("", order: .oldest, offset: 10, limit: 2).ids == [users[10].id, users[11].id])
        #expect(await store.search("GOOGLE").total == 100)
        #expect(await store.search("person12@").ids == [users[12].id])
        #expect(await store.search("user29").total == 11)  // user29, user290…user299
        #expect(await store.search("nobody").total == 0)
        _ = await store.update(id: users[12].id) { $0.name = "Zed Renamed" }
        #expect(await store.search("zed renamed").ids == [users[12].id])
        #expect(await !store.search("person 12").ids.contains(users[12].id))  // the old name no longer matches
        _ = await store.delete(id: users[13].id)
        #expect(await store.search("person13@").total == 0 && directory.count == 299)
        let late = Self.user(1_000)
        _ = await store.create(late, promoteFirstToAdmin: false)
        #expect(await store.search("person1000@").ids == [late.id])
        let byEmail = await store.search("person1", order: .email, limit: 3)
        #expect(byEmail.sorted && byEmail.ids == [late.id, users[100].id, users[101].id])  // "0" sorts before "@"
        #expect(await store.search("person2", order: .name).ids.first == users[2].id)
    }

    @Test("a restore in shard order is put back in creation order on the first search")
    func restoreOrder() async {
        let store = UserStore(shardCount: 8)
        let users = (0..<100).map { Self.user($0) }
        await store.restore(batch: users.shuffled())
        #expect(await store.search("", limit: 2).ids == [users[99].id, users[98].id])
    }
}
