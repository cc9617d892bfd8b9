import Foundation
import Glibc
import PortcullisCore
import PortcullisSupport
import Synchronization

/// How far an acknowledged change goes before the answer is sent.
public enum Durability: String, Sendable {
    /// fsync'd (group commit): survives power loss. The default.
    case fsync
    /// Written to the kernel only: survives a crash of the process, not of the machine.
    case none
}

/// The append-only journal: records are framed `[u32 length][u32 crc32][u64 sequence][payload]`
/// in segment files `journal-<first sequence>.log`. Appends from all shards are batched by one writer
/// thread into a single write and a single fsync (group commit); waiters resume when their record
/// is durable.
public final class Journal: MutationJournal, @unchecked Sendable {
    // @unchecked: `directory`, `durability` are immutable; everything mutable is inside `state`
    // (a Mutex) or owned by the writer thread (`fd`, `segmentStart`).
    static let magic = Array("PCJRNL01".utf8)

    private enum Entry {
        case record(UInt64, [UInt8])
        case rotate(UInt64)
    }

    private struct State {
        var nextSequence: UInt64 = 1
        var pending: [Entry] = []
        var durable: UInt64 = 0
        var waiters: [(UInt64, CheckedContinuation<Void, Never>)] = []
        var started = false
    }

    public let directory: String
    public let durability: Durability
    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)
    private var fd: Int32 = -1
    private let appended = Atomic<Int>(0)
    private let commits = Atomic<Int>(0)

    public init(directory: String, durability: Durability) {
        self.directory = directory
        self.durability = durability
    }

    /// Records appended and group commits made since start (for metrics and benchmarks).
    public var statistics: (records: Int, commits: Int) {
        (appended.load(ordering: .relaxed), commits.load(ordering: .relaxed))
    }

    /// The last sequence number handed out.
    public var position: UInt64 { state.withLock { $0.nextSequence - 1 } }

    /// Starts the writer with a fresh segment whose first record will be `nextSequence`.
    public func start(nextSequence: UInt64) throws {
        state.withLock {
            $0.nextSequence = nextSequence
            $0.durable = nextSequence - 1
            $0.started = true
        }
        try openSegment(startingAt: nextSequence)
        let thread = Thread { [self] in writerLoop() }
        thread.name = "portcullis-journal"
        thread.start()
    }

    public func enqueue<Entry: JournalEntry>(_ entry: Entry) -> UInt64 {
        var writer = BinaryWriter()
        entry.encode(into: &writer)
        let sequence = state.withLock { state -> UInt64 in
            let sequence = state.nextSequence
            state.nextSequence += 1
            state.pending.append(.record(sequence, writer.bytes))
            return sequence
        }
        wake.signal()
        return sequence
    }

    public func waitUntilDurable(_ sequence: UInt64) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state -> Bool in
                if state.durable >= sequence { return true }
                state.waiters.append((sequence, continuation))
                return false
            }
            if ready { continuation.resume() }
        }
    }

    /// Closes the current segment after everything enqueued so far and starts a new one; returns
    /// the last sequence number in the closed segments (a snapshot's journal position).
    public func rotate() -> UInt64 {
        let position = state.withLock { state -> UInt64 in
            let position = state.nextSequence - 1
            state.pending.append(.rotate(position + 1))
            return position
        }
        wake.signal()
        return position
    }

    /// Deletes segments whose every record is at or before `position`.
    public func trim(upTo position: UInt64) {
        let segments = Self.segments(in: directory)
        for (index, segment) in segments.enumerated() where index + 1 < segments.count {
            if segments[index + 1].first - 1 <= position { unlink(segment.path) }
        }
    }

    // MARK: Writing

    private func writerLoop() {
        var buffer: [UInt8] = []
        while true {
            wake.wait()
            let batch = state.withLock { state -> [Entry] in
                defer { state.pending.removeAll(keepingCapacity: true) }
                return state.pending
            }
            guard !batch.isEmpty else { continue }
            var last: UInt64 = 0
            var records = 0
            for entry in batch {
                switch entry {
                case .record(let sequence, let payload):
                    Self.frame(sequence: sequence, payload: payload, into: &buffer)
                    last = sequence
                    records += 1
                case .rotate(let next):
                    commit(&buffer)
                    do {
                        try openSegment(startingAt: next)
                    } catch {
                        fatal("cannot start journal segment: \(error)")
                    }
                }
            }
            commit(&buffer)
            appended.add(records, ordering: .relaxed)
            if last > 0 { markDurable(last) }
        }
    }

    private func commit(_ buffer: inout [UInt8]) {
        guard !buffer.isEmpty else { return }
        var offset = 0
        while offset < buffer.count {
            let written = buffer.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 && errno == EINTR { continue }
            // In-memory state is already ahead of the disk; continuing could acknowledge changes that
            // are not durable. Stopping makes the next start recover exactly what was acknowledged.
            guard written > 0 else { fatal("journal write failed: errno \(errno)") }
            offset += written
        }
        if durability == .fsync && fdatasync(fd) != 0 { fatal("journal fsync failed: errno \(errno)") }
        buffer.removeAll(keepingCapacity: buffer.capacity < 4 << 20)
        commits.add(1, ordering: .relaxed)
    }

    private func markDurable(_ sequence: UInt64) {
        let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.durable = max(state.durable, sequence)
            var resumed: [CheckedContinuation<Void, Never>] = []
            state.waiters.removeAll { waiter in
                guard waiter.0 <= state.durable else { return false }
                resumed.append(waiter.1)
                return true
            }
            return resumed
        }
        for continuation in ready { continuation.resume() }
    }

    private func openSegment(startingAt sequence: UInt64) throws {
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
        let path = Self.segmentPath(directory, sequence)
        let opened = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard opened >= 0 else { throw DecodeError(description: "cannot create \(path): errno \(errno)") }
        fd = opened
        var header = Self.magic
        header.withUnsafeMutableBytes { _ = Glibc.write(fd, $0.baseAddress, $0.count) }
        fsync(fd)
        Self.syncDirectory(directory)
    }

    private func fatal(_ message: String) -> Never {
        FileHandle.standardError.write(
            Data("portcullis: \(message); stopping so that restart recovers only durable state\n".utf8))
        exit(70)
    }

    static func frame(sequence: UInt64, payload: [UInt8], into buffer: inout [UInt8]) {
        var sequenceBytes = BinaryWriter()
        sequenceBytes.u64(sequence)
        var header = BinaryWriter()
        header.u32(UInt32(payload.count))
        header.u32(CRC32.checksum(payload, seed: CRC32.checksum(sequenceBytes.bytes)))
        buffer += header.bytes
        buffer += sequenceBytes.bytes
        buffer += payload
    }

    // MARK: Files

    static func segmentPath(_ directory: String, _ first: UInt64) -> String {
        directory + "/journal-" + String(first).leftPadded(to: 20) + ".log"
    }

    /// Segment files, oldest first.
    static func segments(in directory: String) -> [(first: UInt64, path: String)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.compactMap { name -> (UInt64, String)? in
            guard name.hasPrefix("journal-"), name.hasSuffix(".log"),
                let first = UInt64(name.dropFirst(8).dropLast(4))
            else { return nil }
            return (first, directory + "/" + name)
        }.sorted { $0.0 < $1.0 }
    }

    static func syncDirectory(_ directory: String) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }
}
