import Glibc

/// Reading a secret from standard input without going through `String` repair or echoing it.
enum StandardInput {
    /// The longest line accepted; passwords are capped at 128 characters by the API anyway.
    static let maximumLineLength = 4096

    /// Reads one line of raw bytes; the trailing `\n` (and a `\r` before it) is removed.
    /// Returns `nil` when the line is longer than ``maximumLineLength``.
    static func readLine() -> [UInt8]? {
        var line = [UInt8]()
        var byte: UInt8 = 0
        while true {
            let got = read(0, &byte, 1)
            if got < 0 && errno == EINTR { continue }
            if got <= 0 || byte == UInt8(ascii: "\n") { break }
            line.append(byte)
            if line.count > maximumLineLength { return nil }
        }
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        return line
    }
}

/// Messages for the operator on standard error.
enum StandardError {
    static func write(_ message: String) {
        var text = message
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(2, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 && errno == EINTR { continue }
                if written <= 0 { return }
                offset += written
            }
        }
    }
}
