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
    /// Version 4 adds `F` (second factor, sealed); 5 writes sessions in their v3 layout (device,
    /// address, last use); 6 adds `P` (passkey); 7 adds `A` (audit entry); 8 writes sessions in their v4
    /// layout (sign-in method) and adds the OpenID provider's `C`, `c`, `G`, `K`. Versions 1 to 7 still read.
    static let version: UInt32 = 8

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
        guard bytes.count >= headerLength else {
            throw RecoveryError(description: "\(path): shorter than a snapshot header")
        }
        guard Array(bytes[0..<8]) == magic else {
            throw RecoveryError(description: "\(path) at offset 0: not a Portcullis snapshot (bad magic)")
        }
        var reader = BinaryReader(bytes, from: 8, to: headerLength)
        let version = try reader.u32()
        _ = try reader.u32()
        let header = Header(
            version: version, position: try reader.u64(), users: try reader.u64(), sessions: try reader.u64(),
            createdAt: try reader.i64(), payloadLength: try reader.u64())
        let crc = try reader.u32()
        guard CRC32.checksum(Array(bytes[0..<headerLength - 4])) == crc else {
            throw RecoveryError(description: "\(path) at offset 0: header checksum mismatch")
        }
        guard (1...Self.version).contains(version) else {
            throw RecoveryError(description: "\(path) at offset 8: unsupported snapshot version \(version)")
        }
        return header
    }

    /// Writes every state's records as of journal `position`: temp file, fsync, rename, fsync dir.
    /// The header counts the `U` and `S` records. `version` below the current one is for tests that
    /// prove old files still read: only the kinds that version had, in its layouts.
    static func write(
        directory: String, position: UInt64, states: [any DurableState],
        version: UInt32 = SnapshotFile.version
    ) async throws -> (path: String, bytes: Int, raw: Int, counts: [UInt8: Int]) {
        let path = directory + "/snapshot-" + String(position).leftPadded(to: 20) + ".pcs"
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw RecoveryError(description: "cannot create \(temporary): errno \(errno)") }
        defer { close(fd) }
        // The header's payload length is unknown until the end: write a placeholder, then rewrite.
        try FileSink.put(fd, [UInt8](repeating: 0, count: headerLength), path: temporary)
        var sink = FileSink(
            fd: fd, path: temporary, compressor: try ZstdCompressor(level: 3),
            layout: RecordLayout(snapshotVersion: version))
        for state in states where type(of: state).firstSnapshotVersion <= version {
            try await state.writeSnapshot(to: &sink)
        }
        try sink.finish()
        let header = encode(
            Header(
                version: version, position: position, users: UInt64(sink.counts[UInt8(ascii: "U")] ?? 0),
                sessions: UInt64(sink.counts[UInt8(ascii: "S")] ?? 0),
                createdAt: Int64(Date().timeIntervalSince1970 * 1000), payloadLength: UInt64(sink.raw)))
        guard pwrite(fd, header, header.count, 0) == header.count else {
            throw RecoveryError(description: "writing the header failed")
        }
        guard fsync(fd) == 0 else { throw RecoveryError(description: "fsync \(temporary) failed: errno \(errno)") }
        guard rename(temporary, path) == 0 else {
            throw RecoveryError(description: "rename to \(path) failed: errno \(errno)")
        }
        Journal.syncDirectory(directory)
        return (path, sink.compressed + headerLength, sink.raw, sink.counts)
    }

    /// Reads and verifies a snapshot, decoding every record into the loader of the state that owns
    /// its tag; nothing is loaded into a store (the caller does that, once all verified).
    static func read(
        path: String, states: [any DurableState]
    ) throws -> (
        header: Header, loaders: [any SnapshotLoader],
        counts: [UInt8: Int]
    ) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RecoveryError(description: "cannot read \(path)")
        }
        let bytes = [UInt8](data)
        let header = try decodeHeader(bytes, path: path)
        guard header.payloadLength <= UInt64(maximumPayload) else {
            throw RecoveryError(description: "\(path): payload of \(header.payloadLength) bytes exceeds the limit")
        }
        var owners: [UInt8: any SnapshotLoader] = [:]
        var loaders: [any SnapshotLoader] = []
        for state in states where type(of: state).firstSnapshotVersion <= header.version {
            let loader = state.snapshotLoader(version: header.version)
            loaders.append(loader)
            for tag in type(of: state).snapshotTags { owners[tag] = loader }
        }
        var counts: [UInt8: Int] = [:]
        let decompressor = try ZstdDecompressor(limit: Int(header.payloadLength))
        var pending: [UInt8] = []
        do {
            try decompressor.decompress(bytes[headerLength...]) { chunk in
                pending += chunk
                var reader = BinaryReader(pending)
                var consumed = 0
                while !reader.atEnd {
                    let start = reader.offset
                    do {
                        let tag = try reader.u8()
                        guard let owner = owners[tag] else {
                            throw RecoveryError(description: "\(path): unknown record tag \(tag) in the payload")
                        }
                        try owner.read(tag: tag, from: &reader)
                        counts[tag, default: 0] += 1
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
        guard UInt64(decompressor.produced) == header.payloadLength,
            UInt64(counts[UInt8(ascii: "U")] ?? 0) == header.users,
            UInt64(counts[UInt8(ascii: "S")] ?? 0) == header.sessions
        else {
            throw RecoveryError(description: "\(path): the payload does not match the header's counts")
        }
        return (header, loaders, counts)
    }

    /// Snapshot files, newest first.
    public static func snapshots(in directory: String) -> [(position: UInt64, path: String)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.compactMap { name -> (UInt64, String)? in
            guard name.hasPrefix("snapshot-"), name.hasSuffix(".pcs"),
                let position = UInt64(name.dropFirst(9).dropLast(4))
            else { return nil }
            return (position, directory + "/" + name)
        }.sorted { $0.0 > $1.0 }
    }

    /// `portcullis inspect`: the header and whether the payload verifies, without loading it anywhere.
    public static func inspect(path: String, states: [any DurableState]) -> String {
        do {
            let (header, _, counts) = try read(path: path, states: states)
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            let records = counts.sorted { $0.key < $1.key }.map { "\(Character(Unicode.Scalar($0.key))) \($0.value)" }
            return "\(path): \(header)\nfile \(size) bytes; checksums verified; records decoded: "
                + (records.isEmpty ? "none" : records.joined(separator: ", "))
        } catch {
            return "\(path): DAMAGED: \(error)"
        }
    }
}

/// Streams snapshot records through zstd into the file, 1 MiB of records at a time.
struct FileSink: SnapshotSink {
    let fd: Int32
    let path: String
    let compressor: ZstdCompressor
    let layout: RecordLayout
    var chunk = BinaryWriter()
    var raw = 0
    var compressed = 0
    var counts: [UInt8: Int] = [:]

    init(fd: Int32, path: String, compressor: ZstdCompressor, layout: RecordLayout) {
        self.fd = fd
        self.path = path
        self.compressor = compressor
        self.layout = layout
    }

    mutating func record(tag: UInt8, _ write: (inout BinaryWriter) -> Void) throws {
        chunk.u8(tag)
        write(&chunk)
        counts[tag, default: 0] += 1
        if chunk.bytes.count >= 1 << 20 { try flush(final: false) }
    }

    mutating func finish() throws { try flush(final: true) }

    private mutating func flush(final: Bool) throws {
        raw += chunk.bytes.count
        var written = 0
        let fd = fd, path = path
        try compressor.compress(chunk.bytes, finish: final) { bytes in
            written += bytes.count
            try Self.put(fd, bytes, path: path)
        }
        compressed += written
        chunk.bytes.removeAll(keepingCapacity: true)
    }

    static func put(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { throw RecoveryError(description: "writing \(path) failed: errno \(errno)") }
            offset += written
        }
    }
}
