import Glibc
import Synchronization

/// The admin dashboard's list of users: substring search over email, name, username, provider and
/// role, sorted and paged, fast at a million users. Each user is one line of lower-cased text in one
/// contiguous buffer, searched with `memchr`/`memcmp` (gigabytes a second), so a search touches memory once
/// instead of visiting a million actors. Built on the first search (``UserStore/search(_:order:offset:limit:)``),
/// then kept in step by the user shards (every insert, update and removal, in the same actor turn);
/// an updated user's old line is dead text until a compaction.
public final class UserDirectory: Sendable {
    /// How a page is ordered.
    public enum Order: String, Sendable, CaseIterable {
        case newest
        case oldest
        case email
        case name
    }

    /// One page of a search.
    public struct Page: Sendable, Equatable {
        /// Users matching, in all.
        public var total: Int
        /// The ids on this page, in order.
        public var ids: [String]
        /// Whether the order asked for was applied (`email`/`name` sort at most ``sortLimit`` matches).
        public var sorted: Bool
    }

    /// Above this many matches an `email` or `name` order falls back to `newest`.
    public static let sortLimit = 50_000
    static let separator: UInt8 = 0x1F

    struct Row {
        var id: String
        var createdAt: Int64
        /// The row's live line, or -1 once the user is gone.
        var line: Int32
    }

    struct State {
        var text: [UInt8] = []
        /// Start of each line in `text` (lines are appended, so starts grow) and its row.
        var lineStart: [UInt32] = []
        var lineRow: [Int32] = []
        var rows: [Row] = []
        var rowOf: [String: Int32] = [:]
        var dead = 0
        /// Rows are in creation order (false after restoring batches in shard order).
        var inOrder = true
        /// Built on the first search: until then changes cost nothing (a restore stays as fast).
        var active = false

        mutating func put(_ user: User) {
            guard active else { return }
            var line: [UInt8] = []
            line.reserveCapacity(user.email.utf8.count + user.name.utf8.count + user.username.utf8.count + 16)
            for (index, field) in [user.email, user.name, user.username, user.provider, user.role].enumerated() {
                if index > 0 { line.append(UserDirectory.separator) }
                // ASCII is lower-cased byte by byte (most fields); anything else as Unicode says.
                let bytes = field.utf8.allSatisfy { $0 < 0x80 } ? Array(field.utf8) : Array(field.lowercased().utf8)
                for byte in bytes where byte != UserDirectory.separator && byte != 0x0A {
                    line.append(byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte)
                }
            }
            line.append(0x0A)
            let row: Int32
            if let existing = rowOf[user.id] {
                row = existing
                if rows[Int(row)].line >= 0 { dead += 1 }
            } else {
                row = Int32(rows.count)
                if let last = rows.last, last.createdAt > user.createdAt { inOrder = false }
                rows.append(Row(id: user.id, createdAt: user.createdAt, line: -1))
                rowOf[user.id] = row
            }
            rows[Int(row)].line = Int32(lineStart.count)
            lineStart.append(UInt32(text.count))
            lineRow.append(row)
            text += line
        }

        mutating func remove(_ id: String) {
            guard active, let row = rowOf.removeValue(forKey: id) else { return }
            if rows[Int(row)].line >= 0 { dead += 1 }
            rows[Int(row)].line = -1
        }

        /// Rewrites the buffer with the live lines only, rows in creation order.
        mutating func compact() {
            var live = rows.filter { $0.line >= 0 }
            if !inOrder { live.sort { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) } }
            var fresh = State()
            fresh.active = true
            fresh.text.reserveCapacity(text.count)
            fresh.rows.reserveCapacity(live.count)
            for row in live {
                let start = Int(lineStart[Int(row.line)])
                let end = Int(row.line) + 1 < lineStart.count ? Int(lineStart[Int(row.line) + 1]) : text.count
                let index = Int32(fresh.rows.count)
                fresh.rows.append(Row(id: row.id, createdAt: row.createdAt, line: Int32(fresh.lineStart.count)))
                fresh.rowOf[row.id] = index
                fresh.lineStart.append(UInt32(fresh.text.count))
                fresh.lineRow.append(index)
                fresh.text += text[start..<end]
            }
            self = fresh
        }

        func line(of row: Int32) -> ArraySlice<UInt8> {
            let line = Int(rows[Int(row)].line)
            let end = line + 1 < lineStart.count ? Int(lineStart[line + 1]) : text.count
            return text[Int(lineStart[line])..<end]
        }

        /// The first occurrence of `needle` in `haystack`: `memchr` (vectorised in glibc) finds each
        /// candidate first byte, `memcmp` checks the rest.
        static func find(_ needle: UnsafeRawBufferPointer, in haystack: UnsafeRawBufferPointer) -> UnsafeRawPointer? {
            guard let start = haystack.baseAddress, let first = needle.first, let pattern = needle.baseAddress,
                needle.count <= haystack.count
            else { return nil }
            var position = start
            let last = start + (haystack.count - needle.count)
            while position <= last {
                guard let candidate = memchr(position, Int32(first), last - position + 1) else { return nil }
                if memcmp(candidate, pattern, needle.count) == 0 { return UnsafeRawPointer(candidate) }
                position = UnsafeRawPointer(candidate) + 1
            }
            return nil
        }

        /// The rows whose live line contains `needle`, as a bitmap over rows.
        func matches(_ needle: [UInt8]) -> (marks: [Bool], count: Int) {
            var marks = [Bool](repeating: false, count: rows.count)
            var count = 0
            text.withUnsafeBytes { haystack in
                needle.withUnsafeBytes { pattern in
                    guard let base = haystack.baseAddress, pattern.baseAddress != nil else { return }
                    var offset = 0
                    var low = 0
                    while offset < haystack.count,
                        let hit = Self.find(pattern, in: UnsafeRawBufferPointer(rebasing: haystack[offset...]))
                    {
                        let position = base.distance(to: UnsafeRawPointer(hit))
                        // The line holding the hit: walk on from the last one (hits only move forward,
                        // so the whole search is one pass over the lines).
                        while low + 1 < lineStart.count && Int(lineStart[low + 1]) <= position { low += 1 }
                        let row = lineRow[low]
                        if rows[Int(row)].line == Int32(low) && !marks[Int(row)] {
                            marks[Int(row)] = true
                            count += 1
                        }
                        // Go on after this line: one hit per line is enough.
                        offset = low + 1 < lineStart.count ? Int(lineStart[low + 1]) : haystack.count
                    }
                }
            }
            return (marks, count)
        }
    }

    private let state = Mutex(State())

    public init() {}

    /// Read without the lock on every change: until the first search, a change costs one load.
    private let following = Atomic<Bool>(false)

    func put(_ user: User) {
        if following.load(ordering: .acquiring) { state.withLock { $0.put(user) } }
    }
    func remove(_ id: String) {
        if following.load(ordering: .acquiring) { state.withLock { $0.remove(id) } }
    }

    /// Whether the directory follows changes yet.
    var isActive: Bool { following.load(ordering: .acquiring) }

    /// Starts following changes, then `fill` hands in every user (read after starting, so nothing
    /// is missed; a user already put by a change since is newer and kept). Returns at once when
    /// already active.
    func activate(_ fill: () async -> Void) async {
        guard
            !state.withLock({ state in
                defer {
                    state.active = true
                    following.store(true, ordering: .releasing)
                }
                return state.active
            })
        else { return }
        await fill()
        state.withLock { $0.inOrder = false }
    }

    /// Takes in users that no change has put yet (the first build, shard by shard).
    func fill(_ users: some Sequence<User>) {
        state.withLock { state in
            for user in users where state.rowOf[user.id] == nil { state.put(user) }
        }
    }

    /// Users in the directory.
    public var count: Int { state.withLock { $0.rowOf.count } }

    /// A page of the users whose email, name, username, provider or role contains `query`
    /// (case-insensitive; empty: everyone).
    func search(_ query: String, order: Order = .newest, offset: Int = 0, limit: Int = 50) -> Page {
        let needle = Array(query.lowercased().utf8.filter { $0 != Self.separator && $0 != 0x0A && $0 >= 0x20 })
        // Compacted under the lock, then searched on a copy (the arrays are shared, not copied).
        let state = self.state.withLock { state in
            if !state.inOrder || state.dead > max(1024, state.rows.count / 2) { state.compact() }
            return state
        }
        var marks: [Bool]?
        var total = state.rowOf.count
        if !needle.isEmpty { (marks, total) = state.matches(needle) }
        let live = { (row: Int) in state.rows[row].line >= 0 && (marks?[row] ?? true) }
        let offset = max(0, offset)
        let limit = max(0, min(limit, 500))
        /// The page of live rows in creation order (rows are kept in it), walked without copying indices.
        func inCreationOrder(newestFirst: Bool) -> [String] {
            let last = state.rows.count - 1
            var ids: [String] = []
            var skipped = 0
            for row in stride(from: newestFirst ? last : 0, through: newestFirst ? 0 : last, by: newestFirst ? -1 : 1)
            where live(row) {
                if skipped < offset {
                    skipped += 1
                    continue
                }
                ids.append(state.rows[row].id)
                if ids.count == limit { break }
            }
            return ids
        }
        switch order {
        case .newest, .oldest:
            return Page(total: total, ids: inCreationOrder(newestFirst: order == .newest), sorted: true)
        case .email, .name:
            guard total <= Self.sortLimit else {
                return Page(total: total, ids: inCreationOrder(newestFirst: true), sorted: false)
            }
            let field = order == .email ? 0 : 1
            var keyed: [(ArraySlice<UInt8>, Int)] = []
            keyed.reserveCapacity(total)
            for row in state.rows.indices where live(row) {
                let line = state.line(of: Int32(row))
                let parts = line.split(separator: Self.separator, maxSplits: 2, omittingEmptySubsequences: false)
                keyed.append((field < parts.count ? parts[field] : [], row))
            }
            keyed.sort { $0.0.lexicographicallyPrecedes($1.0) }
            return Page(
                total: total, ids: keyed.dropFirst(offset).prefix(limit).map { state.rows[$0.1].id }, sorted: true)
        }
    }
}
