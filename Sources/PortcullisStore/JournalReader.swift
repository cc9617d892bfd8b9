import Foundation
import Glibc
import PortcullisCore

/// Damage that recovery will not guess about.
public struct RecoveryError: Error, CustomStringConvertible {
    public var description: String
}

/// Reads journal segments back for recovery.
enum JournalReader {
    struct Replay {
        var applied = 0
        var lastSequence: UInt64 = 0
        var tornTail: String?
    }

    /// Replays, in order, every record after `position`. A torn record at the very end of the last
    /// segment (a crash mid-write: short, or failing its CRC) is cut off and reported; any other
    /// damage stops recovery with the file and offset.
    /// `apply` gets each record's tag and a reader positioned after it.
    static func replay(
        directory: String, after position: UInt64,
        apply: (UInt8, inout BinaryReader) async throws(DecodeError) -> Void
    ) async throws -> Replay {
        var replay = Replay()
        replay.lastSequence = position
        let segments = Journal.segments(in: directory)
        for (index, segment) in segments.enumerated() {
            let isLast = index == segments.count - 1
            // Segments entirely at or before the snapshot position need not be read.
            if index + 1 < segments.count, segments[index + 1].first - 1 <= position { continue }
            guard let data = FileManager.default.contents(atPath: segment.path) else {
                throw RecoveryError(description: "cannot read \(segment.path)")
            }
            let bytes = [UInt8](data)
            guard bytes.count >= 8 else {
                if isLast {
                    replay.tornTail = "\(segment.path): header incomplete (\(bytes.count) bytes); segment discarded"
                    unlink(segment.path)
                    continue
                }
                throw RecoveryError(description: "\(segment.path): truncated header")
            }
            guard Array(bytes[0..<8]) == Journal.magic else {
                throw RecoveryError(description: "\(segment.path) at offset 0: not a Portcullis journal (bad magic)")
            }
            var offset = 8
            while offset < bytes.count {
                let recordStart = offset
                func damaged(_ why: String) throws -> Bool {
                    let tail = isLast && !hasValidRecord(bytes, after: recordStart)
                    if tail {
                        replay.tornTail =
                            "\(segment.path) at offset \(recordStart): \(why); the torn final record was dropped"
                        truncate(segment.path, off_t(recordStart))
                        return true
                    }
                    throw RecoveryError(description: "\(segment.path) at offset \(recordStart): \(why)")
                }
                guard bytes.count - offset >= 16 else {
                    if try damaged("incomplete record header") { break }
                    continue
                }
                var reader = BinaryReader(bytes, from: offset)
                let length = Int(try reader.u32())
                let crc = try reader.u32()
                let sequenceBytes = Array(bytes[offset + 8..<offset + 16])
                let sequence = try reader.u64()
                guard length <= 16 << 20, bytes.count - reader.offset >= length else {
                    if try damaged("record length \(length) runs past the end") { break }
                    continue
                }
                let payload = Array(bytes[reader.offset..<reader.offset + length])
                guard CRC32.checksum(payload, seed: CRC32.checksum(sequenceBytes)) == crc else {
                    if try damaged("checksum mismatch") { break }
                    continue
                }
                offset = reader.offset + length
                guard sequence > replay.lastSequence || sequence <= position else {
                    throw RecoveryError(
                        description: "\(segment.path) at offset \(recordStart): sequence \(sequence) out of order")
                }
                if sequence <= position { continue }
                var payloadReader = BinaryReader(payload)
                do {
                    try await apply(try payloadReader.u8(), &payloadReader)
                } catch {
                    throw RecoveryError(description: "\(segment.path) at offset \(recordStart): \(error)")
                }
                replay.applied += 1
                replay.lastSequence = sequence
            }
        }
        return replay
    }

    /// Whether any well-formed record (valid CRC) starts after `offset`: if so, the damage at
    /// `offset` is in the middle of the journal, not a torn tail.
    static func hasValidRecord(_ bytes: [UInt8], after offset: Int) -> Bool {
        var candidate = offset + 1
        while candidate + 16 <= bytes.count {
            var reader = BinaryReader(bytes, from: candidate)
            if let length = try? reader.u32(), let crc = try? reader.u32(), Int(length) <= bytes.count - candidate - 16,
                length > 0
            {
                let sequenceBytes = Array(bytes[candidate + 8..<candidate + 16])
                let payload = Array(bytes[candidate + 16..<candidate + 16 + Int(length)])
                if CRC32.checksum(payload, seed: CRC32.checksum(sequenceBytes)) == crc { return true }
            }
            candidate += 1
        }
        return false
    }
}
