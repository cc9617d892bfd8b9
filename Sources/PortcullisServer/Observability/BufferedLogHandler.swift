import Foundation
import Glibc
import Logging
import PortcullisHTTP
import Synchronization

/// Log lines go to standard error through a buffer flushed every 200 ms (or at 64 KiB), so a
/// request's log line costs a memory copy, not a system call.
final class LogBuffer: Sendable {
    static let shared = LogBuffer()

    private let pending = Mutex<[UInt8]>([])

    private init() {
        let thread = Thread { [self] in
            while true {
                Thread.sleep(forTimeInterval: 0.2)
                flush()
            }
        }
        thread.name = "portcullis-log"
        thread.start()
    }

    func append(_ line: [UInt8]) {
        let full = pending.withLock { buffer -> Bool in
            buffer.append(contentsOf: line)
            return buffer.count > 64 * 1024
        }
        if full { flush() }
    }

    func flush() {
        let bytes = pending.withLock { buffer -> [UInt8] in
            defer { buffer.removeAll(keepingCapacity: true) }
            return buffer
        }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(2, $0.baseAddress! + offset, $0.count - offset) }
            if written <= 0 { return }
            offset += written
        }
    }
}

/// `<ISO time> <level> <label>: <key=value ...> <message>`, one line per event.
struct BufferedLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var line = HTTPDate.iso8601(millisecondsSince1970: Int64(Date().timeIntervalSince1970 * 1000))
        line += " \(event.level) \(label):"
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) { line += " \(key)=\(value)" }
        line += " \(event.message)\n"
        LogBuffer.shared.append(Array(line.utf8))
    }
}
