// Durability figures in one run: snapshot and restore of N users + N sessions, and journal
// throughput with group commit vs one fsync per record. Usage: StoreBench DIR [N]
import Foundation
import Glibc
import PortcullisCore
import PortcullisStore

let arguments = CommandLine.arguments
let directory = arguments.count > 1 ? arguments[1] : NSTemporaryDirectory() + "/portcullis-store-bench"
let count = arguments.count > 2 ? Int(arguments[2]) ?? 1_000_000 : 1_000_000
let auditOnly = arguments.count > 3 && arguments[3] == "audit"

func now() -> Double { Date().timeIntervalSince1970 }
func rssMiB() -> Double {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
    return (Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) / 1024
}

/// The audit log: what one entry costs to record (journaled, durable) and to keep. Run in a process
/// of its own (`StoreBench DIR N audit`) so the resident-memory figure is not muddied by other phases.
func auditCost() async throws {
    do {
        try? FileManager.default.removeItem(atPath: directory)
        let auditDirectory = directory + "/audit"
        try FileManager.default.createDirectory(atPath: auditDirectory, withIntermediateDirectories: true)
        let journal = Journal(directory: auditDirectory, durability: .fsync)
        try journal.start(nextSequence: 1)
        let entries = count
        let log = AuditLog(capacity: entries, shardCount: 16, journal: journal)
        let rssBefore = rssMiB()
        let begin = now()
        await withTaskGroup(of: Void.self) { group in
            for writer in 0..<64 {
                group.addTask {
                    for index in stride(from: writer, to: entries, by: 64) {
                        await log.record(
                            AuditEvent(
                                time: 0, kind: .signIn, actor: "65f0c0ffee0123456789abcd",
                                subject: "65f0c0ffee0123456789abcd", email: "user\(index)@bench.test",
                                ip: "203.0.113.7",
                                device: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36",
                                detail: "password"))
                    }
                }
            }
        }
        let seconds = now() - begin
        let perEntry = (rssMiB() - rssBefore) * 1024 * 1024 / Double(entries)
        print(
            "audit: \(entries) entries recorded durably by 64 writers in \(String(format: "%.2f", seconds)) s (\(Int(Double(entries) / seconds)) entries/s, \(String(format: "%.1f", seconds / Double(entries) * 1_000_000)) µs each); about \(Int(perEntry)) bytes resident per entry"
        )
    }

}

func run() async throws {
    try? FileManager.default.removeItem(atPath: directory)
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let hash = "$2b$10$abcdefghijklmnopqrstuu5s2v8.iXieOjg/.AySBTTZIIVFJeBui"

    // 1. Fill the stores (no journal) and snapshot them.
    let users = UserStore(shardCount: 16)
    let sessions = SessionStore(shardCount: 16)
    var started = now()
    for i in 0..<count {
        let id = String(i, radix: 16).leftPad(24)
        await users.restore(
            User(
                id: id, name: "User \(i)", username: "user\(i)", email: "user\(i)@bench.test", emailVerified: true,
                passwordHash: hash, createdAt: 1_700_000_000_000, updatedAt: 1_700_000_000_000))
        await sessions.restore(
            Session(
                id: "s" + String(i, radix: 16).leftPad(23), userId: id,
                currentHash: [UInt8](repeating: UInt8(i & 0xFF), count: 32),
                previousHash: nil, generation: 0, rotatedAt: 1_700_000_000_000, createdAt: 1_700_000_000_000,
                expiresAt: 1_900_000_000_000))
    }
    print("filled \(count) users + \(count) sessions in \(String(format: "%.1f", now() - started)) s")
    let persistence = Persistence(directory: directory, durability: .fsync)
    try persistence.journal.start(nextSequence: 1)
    let info = try await persistence.snapshot([users, sessions])
    print(
        "snapshot: \(String(format: "%.2f", info.seconds)) s, \(info.bytes) bytes on disk, \(info.rawBytes) raw, ratio \(String(format: "%.2f", Double(info.rawBytes) / Double(info.bytes)))"
    )

    // 2. Restore into fresh stores.
    let restoredUsers = UserStore(shardCount: 16)
    let restoredSessions = SessionStore(shardCount: 16)
    let recovering = Persistence(directory: directory, durability: .fsync)
    started = now()
    let recovery = try await recovering.recover([restoredUsers, restoredSessions])
    print(
        "restore: \(String(format: "%.2f", now() - started)) s (\(recovery.users) users, \(recovery.sessions) sessions); RSS \(Int(rssMiB())) MiB"
    )

    // 2b. The admin dashboard's user directory at this size: one page of a search, plus the 50
    // users it names fetched from their shards (what the users page does before rendering).
    func page(_ query: String, _ order: UserDirectory.Order, offset: Int = 0) async -> (Double, Int) {
        let begin = now()
        let found = await restoredUsers.search(query, order: order, offset: offset, limit: 50)
        for id in found.ids { _ = await restoredUsers.user(id: id) }
        return (now() - begin, found.total)
    }
    let first = await page("", .newest)
    print("users page, first search (builds the directory): \(String(format: "%.0f", first.0 * 1000)) ms")
    for (label, query, order, offset) in [
        ("everyone, newest", "", UserDirectory.Order.newest, 0), ("everyone, page 10,000", "", .newest, 500_000),
        ("substring in every row", "bench.test", .newest, 0), ("one user by email", "user123456@", .newest, 0),
        ("11 users, by email", "user99999", .email, 0), ("111 users, by name", "user 9999", .name, 0),
        ("no match", "nobody-here", .newest, 0),
    ] {
        var samples: [Double] = []
        var total = 0
        for _ in 0..<9 {
            let (seconds, matched) = await page(query, order, offset: offset)
            samples.append(seconds)
            total = matched
        }
        samples.sort()
        print(
            "users page at \(count) users, \(label): median \(String(format: "%.1f", samples[4] * 1000)) ms, max \(String(format: "%.1f", samples[8] * 1000)) ms (\(total) matches; target < 50 ms)"
        )
    }
    print("RSS with the directory: \(Int(rssMiB())) MiB")

    // 3. Journal throughput: 256 concurrent writers, each waiting for durability (group commit).
    for durability in [Durability.fsync, .none] {
        let journalDirectory = directory + "/journal-\(durability.rawValue)"
        try FileManager.default.createDirectory(atPath: journalDirectory, withIntermediateDirectories: true)
        let journal = Journal(directory: journalDirectory, durability: durability)
        try journal.start(nextSequence: 1)
        let writers = 256, perWriter = 400
        started = now()
        let latencies = await withTaskGroup(of: [Double].self) { group in
            for w in 0..<writers {
                group.addTask {
                    var samples: [Double] = []
                    for i in 0..<perWriter {
                        let begin = now()
                        let ticket = journal.enqueue(SessionEntry.delete(id: "session-\(w)-\(i)"))
                        await journal.waitUntilDurable(ticket)
                        samples.append(now() - begin)
                    }
                    return samples
                }
            }
            return await group.reduce(into: [Double]()) { $0 += $1 }
        }
        let elapsed = now() - started
        let sorted = latencies.sorted()
        let p50 = sorted[sorted.count / 2] * 1000, p99 = sorted[sorted.count * 99 / 100] * 1000
        let stats = journal.statistics
        print(
            "journal \(durability.rawValue): \(Int(Double(latencies.count) / elapsed)) durable mutations/s, "
                + "\(stats.commits) commits for \(stats.records) records, wait p50 \(String(format: "%.2f", p50)) ms p99 \(String(format: "%.2f", p99)) ms"
        )
    }

    // 4. The baseline group commit beats: one fsync per record, one writer.
    let path = directory + "/fsync-baseline.log"
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    let record = [UInt8](repeating: 7, count: 60)
    started = now()
    var records = 0
    while now() - started < 2 {
        _ = record.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        fdatasync(fd)
        records += 1
    }
    close(fd)
    print("baseline: \(Int(Double(records) / (now() - started))) fsync'd records/s with one fsync per record")
    try? FileManager.default.removeItem(atPath: directory)
}

extension String {
    func leftPad(_ width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}

let done = DispatchSemaphore(value: 0)
Task.detached {
    do { try await (auditOnly ? auditCost() : run()) } catch { print("failed: \(error)") }
    done.signal()
}
done.wait()
