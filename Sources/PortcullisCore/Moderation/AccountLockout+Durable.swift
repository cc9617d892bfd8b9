/// Lockout windows in the journal (tag 15; an empty window deletes it) and in snapshots (`L`).
public enum LockoutEntry: JournalEntry {
    case put(LockoutWindow)

    public static let tags: [UInt8] = [15]

    public func encode(into writer: inout BinaryWriter) {
        guard case .put(let window) = self else { return }
        writer.u8(15)
        writer.lockout(window)
    }

    public static func decode(tag: UInt8, from reader: inout BinaryReader) throws(DecodeError) -> LockoutEntry {
        .put(try reader.lockout())
    }
}

extension BinaryWriter {
    mutating func lockout(_ window: LockoutWindow) {
        string(window.key)
        u32(UInt32(window.failures.count))
        for failure in window.failures { i64(failure) }
    }
}

extension BinaryReader {
    mutating func lockout() throws(DecodeError) -> LockoutWindow {
        let key = try string()
        let count = Int(try u32())
        guard count <= LockoutWindow.maximumFailures else {
            throw DecodeError(description: "lockout window of \(count) failures at byte \(offset)")
        }
        var failures: [Int64] = []
        failures.reserveCapacity(count)
        for _ in 0..<count { failures.append(try i64()) }
        return LockoutWindow(key: key, failures: failures)
    }
}

extension AccountLockout: DurableState {
    public static let snapshotTags: [UInt8] = [UInt8(ascii: "L")]
    public static let firstSnapshotVersion: UInt32 = 3

    public func replay(_ entry: LockoutEntry) async {
        guard case .put(let window) = entry else { return }
        await restore(window, now: clock.milliseconds)
    }

    public func writeSnapshot(to sink: inout some SnapshotSink) async throws {
        for window in await all() { try sink.record(tag: UInt8(ascii: "L")) { $0.lockout(window) } }
    }

    public func snapshotLoader(version: UInt32) -> any SnapshotLoader {
        BatchLoader(
            layout: .v1, decode: { _, reader, _ throws(DecodeError) in try reader.lockout() },
            load: { [self] windows in for window in windows { await restore(window, now: clock.milliseconds) } })
    }
}
