import Foundation
import PortcullisCrypto
import Synchronization

/// MongoDB-style 24-hex identifiers: 4 bytes of seconds, 5 random bytes fixed per process, and a
/// 3-byte counter, so ids sort by creation time as LibreChat's do.
public enum ObjectID {
    private static let processBytes = SecureRandom.bytes(count: 5)
    private static let counter = Atomic<UInt32>(SecureRandom.value(UInt32.self) & 0xFF_FFFF)

    /// A fresh id.
    public static func generate(now: Date = Date()) -> String {
        let seconds = UInt32(truncatingIfNeeded: Int64(now.timeIntervalSince1970))
        let count = counter.add(1, ordering: .relaxed).newValue & 0xFF_FFFF
        var bytes: [UInt8] = [
            UInt8(seconds >> 24), UInt8(truncatingIfNeeded: seconds >> 16),
            UInt8(truncatingIfNeeded: seconds >> 8), UInt8(truncatingIfNeeded: seconds),
        ]
        bytes += processBytes
        bytes += [
            UInt8(truncatingIfNeeded: count >> 16), UInt8(truncatingIfNeeded: count >> 8),
            UInt8(truncatingIfNeeded: count),
        ]
        return Hex.encode(bytes)
    }

    /// Whether `text` is 24 lower- or upper-case hex digits.
    public static func isValid(_ text: String) -> Bool {
        text.utf8.count == 24
            && text.utf8.allSatisfy {
                ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) || ($0 >= 0x41 && $0 <= 0x46)
            }
    }
}
