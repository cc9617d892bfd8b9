import Foundation
import Glibc
import PortcullisCore
import PortcullisSupport

/// Snapshot files: a fixed 60-byte header, then one zstd frame (checksum flag on) of records,
/// each a tag byte (`U` user, `S` session) and the binary encoding. The format is described in
/// `Snapshots/README.md`; version 1 must stay readable.
public enum SnapshotFile {
    static let magic = Array("PCSNAP01".utf8)
    /// Version 2 adds `V` (violation count), `B` (ban), `T` (one-time token) and `M` (mail) records;
    /// version 3 writes users and sessions in their v2 layout and adds `L` (lockout window) records.
    /// Versions 1 and 2 still read.
    static let version: UInt32 = 3

    /// Moderation state carried by version-2 snapshots.
    public enum Extra: Sendable, Equatable {
        case violation(subject: String, type: String, count: Int)
        case ban(Ban)
        case token(OneTimeToken)
        case mail(OutboxMail)
        case lockout(LockoutWindow)

        var isLockout: Bool {
            if case .lockout = self { return true }
            return false
        }
    }
    static let headerLength = 60
    /// Decompressed payloads beyond this are refused (a zstd bomb must not exhaust memory).
    public static let maximumPayload = 64 << 30

    /// What the header says.
    public struct Header: Sendable, Equatable, CustomStringConvertible {
        public var version: UInt32
        public var position: UInt64
        public var users: UInt64
        public var sessions: UInt64
        public var createdAt: Int64
        public var payloadLength: UInt64

        public var description: String {
            "version \(version), journal position \(position), \(users) users, \(sessions) sessions, "
                + "payload \(payloadLength) bytes, created \(createdAt) ms"
        }
    }

    static func encode(_ header: Header) -> [UInt8] {
        var writer = BinaryWriter()
        writer.bytes = magic
        writer.u32(header.version)
        writer.u32(0)
        writer.u64(header.position)
        writer.u64(header.users)
        writer.u64(header.sessions)
        writer.i64(header.createdAt)
        writer.u64(header.payloadLength)
        writer.u32(CRC32.checksum(writer.bytes))
        return writer.bytes
    }

    static func decodeHeader(_ bytes: [UInt8], path: String) throws -> Header {
        guard bytes.count >= headerLength else { throw RecoveryError(description: "\(path): shorter than a snapshot header") }
        guard Array(bytes[0..<8]) == magic else { throw RecoveryError(description: "\(path) at offset 0: not a Portcullis snapshot (bad magic)") }
        var reader = BinaryReader(bytes, from: 8, to: headerLength)
        let version = try reader.u32()
        _ = try reader.u32()
        let header = Header(version: version, position: try reader.u64(), users: try reader.u64(), sessions: try reader.u64(),
                            createdAt: try reader.i64(), payloadLength: try reader.u64())
        let crc = try reader.u32()
        guard CRC32.checksum(Array(bytes[0..<headerLength - 4])) == crc else {
            throw RecoveryError(description: "\(path) at offset 0: header checksum mismatch")
        }
        guard (1...3).contains(version) else {
            throw RecoveryError(description: "\(path) at offset 8: unsupported snapshot version \(version)")
        }
        return header
    }

    /// Writes `users` and `sessions` as of journal `position`: temp file, fsync, rename, fsync dir.
    static func write(directory: String, position: UInt64, users: [User], sessions: [Session], extra: [Extra] = [],
                      version: UInt32 = SnapshotFile.version) throws -> (path: String, bytes: Int, raw: Int) {
        let path = directory + "/snapshot-" + String(position).leftPadded(to: 20) + ".pcs"
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw RecoveryError(description: "cannot create \(temporary): errno \(errno)") }
        defer { close(fd) }
        func put(_ bytes: [UInt8]) throws {
            var offset = 0
            while offset < bytes.count {
                let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { throw RecoveryError(description: "writing \(temporary) failed: errno \(errno)") }
                offset += written
            }
        }
        // The header's payload length is unknown until the end: write a placeholder, then rewrite.
        try put([UInt8](repeating: 0, count: headerLength))
        let compressor = try ZstdCompressor(level: 3)
        var chunk = BinaryWriter()
        var raw = 0
        var compressed = 0
        // Older versions are written only by tests that prove they still read.
        let layout: RecordLayout = version >= 3 ? .v2 : .v1
        let sink: ([UInt8]) throws -> Void = { bytes in
            compressed += bytes.count
            try put(bytes)
        }
        func flush(final: Bool) throws {
            raw += chunk.bytes.count
            try compressor.compress(chunk.bytes, finish: final, sink: sink)
            chunk.bytes.removeAll(keepingCapacity: true)
        }
        for user in users {
            chunk.u8(UInt8(ascii: "U"))
            chunk.user(user, layout: layout)
            if chunk.bytes.count >= 1 << 20 { try flush(final: false) }
        }
        for session in sessions {
            chunk.u8(UInt8(ascii: "S"))
            chunk.session(session, layout: layout)
            if chunk.bytes.count >= 1 << 20 { try flush(final: false) }
        }
        for item in extra where version >= 3 || (version == 2 && !item.isLockout) {
            switch item {
            case .violation(let subject, let type, let count):
                chunk.u8(UInt8(ascii: "V"))
                chunk.violation(subject: subject, type: type, count: count)
            case .ban(let ban):
                chunk.u8(UInt8(ascii: "B"))
                chunk.ban(ban)
            case .token(let token):
                chunk.u8(UInt8(ascii: "T"))
                chunk.token(token)
            case .mail(let mail):
                chunk.u8(UInt8(ascii: "M"))
                chunk.mail(mail)
            case .lockout(let window):
                chunk.u8(UInt8(ascii: "L"))
                chunk.lockout(window)
            }
            if chunk.bytes.count >= 1 << 20 { try flush(final: false) }
        }
        try flush(final: true)
        let header = encode(Header(version: version, position: position, users: UInt64(users.count), sessions: UInt64(sessions.count),
                                   createdAt: Int64(Date().timeIntervalSince1970 * 1000), payloadLength: UInt64(raw)))
        guard pwrite(fd, header, header.count, 0) == header.count else { throw RecoveryError(description: "writing the header failed") }
        guard fsync(fd) == 0 else { throw RecoveryError(description: "fsync \(temporary) failed: errno \(errno)") }
        guard rename(temporary, path) == 0 else { throw RecoveryError(description: "rename to \(path) failed: errno \(errno)") }
        Journal.syncDirectory(directory)
        return (path, compressed + headerLength, raw)
    }

    /// Reads and verifies a snapshot: its header, users and sessions.
    static func read(path: String) throws -> (header: Header, users: [User], sessions: [Session]) {
        let (header, users, sessions, _) = try readAll(path: path)
        return (header, users, sessions)
    }

    /// Reads and verifies a snapshot, moderation records included.
    static func readAll(path: String) throws -> (header: Header, users: [User], sessions: [Session], extra: [Extra]) {
        guard let data = FileManager.default.contents(atPath: path) else { throw RecoveryError(description: "cannot read \(path)") }
        let bytes = [UInt8](data)
        let header = try decodeHeader(bytes, path: path)
        guard header.payloadLength <= UInt64(maximumPayload) else {
            throw RecoveryError(description: "\(path): payload of \(header.payloadLength) bytes exceeds the limit")
        }
        let decompressor = try ZstdDecompressor(limit: Int(header.payloadLength))
        var pending: [UInt8] = []
        var users: [User] = []
        var sessions: [Session] = []
        var extra: [Extra] = []
        let allowsExtra = header.version >= 2
        let layout: RecordLayout = header.version >= 3 ? .v2 : .v1
        do {
            try decompressor.decompress(bytes[headerLength...]) { chunk in
                pending += chunk
                var reader = BinaryReader(pending)
                var consumed = 0
                while !reader.atEnd {
                    let start = reader.offset
                    do {
                        switch try reader.u8() {
                        case UInt8(ascii: "U"): users.append(try reader.user(layout))
                        case UInt8(ascii: "S"): sessions.append(try reader.session(layout))
                        case UInt8(ascii: "V") where allowsExtra:
                            extra.append(.violation(subject: try reader.string(), type: try reader.string(), count: Int(try reader.i64())))
                        case UInt8(ascii: "B") where allowsExtra: extra.append(.ban(try reader.ban()))
                        case UInt8(ascii: "T") where allowsExtra: extra.append(.token(try reader.token()))
                        case UInt8(ascii: "M") where allowsExtra: extra.append(.mail(try reader.mail()))
                        case UInt8(ascii: "L") where layout == .v2: extra.append(.lockout(try reader.lockout()))
                        case let tag: throw RecoveryError(description: "\(path): unknown record tag \(tag) in the payload")
                        }
                        consumed = reader.offset
                    } catch is DecodeError {
                        reader.offset = start  // a record split across chunks: wait for more bytes
                        break
                    }
                }
                pending.removeFirst(consumed)
            }
        } catch let error as RecoveryError {
            throw error
        } catch {
            throw RecoveryError(description: "\(path) at offset \(headerLength): \(error)")
        }
        guard decompressor.frameComplete, pending.isEmpty else {
            throw RecoveryError(description: "\(path): the compressed payload is truncated")
        }
        guard UInt64(decompressor.produced) == header.payloadLength, UInt64(users.count) == header.users,
              UInt64(sessions.count) == header.sessions else {
            throw RecoveryError(description: "\(path): the payload does not match the header's counts")
        }
        return (header, users, sessions, extra)
    }

    /// Snapshot files, newest first.
    public static func snapshots(in directory: String) -> [(position: UInt64, path: String)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.compactMap { name -> (UInt64, String)? in
            guard name.hasPrefix("snapshot-"), name.hasSuffix(".pcs"), let position = UInt64(name.dropFirst(9).dropLast(4)) else { return nil }
            return (position, directory + "/" + name)
        }.sorted { $0.0 > $1.0 }
    }

    /// `portcullis inspect`: the header and whether the payload verifies, without loading it anywhere.
    public static func inspect(path: String) -> String {
        do {
            let (header, users, sessions) = try read(path: path)
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            return "\(path): \(header)\nfile \(size) bytes; checksums verified; \(users.count) users and \(sessions.count) sessions decoded"
        } catch {
            return "\(path): DAMAGED: \(error)"
        }
    }
}
