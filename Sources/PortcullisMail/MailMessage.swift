import Foundation
import PortcullisCrypto

/// An RFC 5322 message: multipart/alternative (plain text and HTML), base64 bodies, encoded words
/// for non-ASCII names and subjects, Date and Message-ID.
public enum MailMessage {
    public static func build(
        from: String, fromName: String, to: String, subject: String, text: String, html: String,
        date: Date = Date()
    ) -> [UInt8] {
        let boundary = "=_portcullis_" + Hex.encode(SecureRandom.bytes(count: 12))
        let domain = from.split(separator: "@").last.map(String.init) ?? "localhost"
        var lines: [String] = [
            "Date: " + rfc5322Date(date),
            "From: " + mailbox(name: fromName, address: from),
            "To: " + sanitize(to),
            "Subject: " + encodedWord(subject),
            "Message-ID: <" + Hex.encode(SecureRandom.bytes(count: 16)) + "@" + sanitize(domain) + ">",
            "MIME-Version: 1.0",
            "Content-Type: multipart/alternative; boundary=\"\(boundary)\"",
            "",
            "--" + boundary,
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: base64",
            "",
        ]
        lines += base64Lines(text)
        lines += ["--" + boundary, "Content-Type: text/html; charset=utf-8", "Content-Transfer-Encoding: base64", ""]
        lines += base64Lines(html)
        lines += ["--" + boundary + "--", ""]
        return Array(lines.joined(separator: "\r\n").utf8)
    }

    /// Header values never carry CR or LF (no header injection through a name or subject).
    static func sanitize(_ value: String) -> String {
        value.filter { $0 != "\r" && $0 != "\n" }
    }

    static func encodedWord(_ value: String) -> String {
        let clean = sanitize(value)
        if clean.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return clean }
        return "=?UTF-8?B?" + Base64Alphabet.standard.encode(Array(clean.utf8)) + padding(clean.utf8.count) + "?="
    }

    static func padding(_ count: Int) -> String { String(repeating: "=", count: (3 - count % 3) % 3) }

    static func mailbox(name: String, address: String) -> String {
        let cleanName = sanitize(name)
        if cleanName.isEmpty { return "<\(sanitize(address))>" }
        let displayed =
            cleanName.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F })
            ? "\"" + cleanName.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                + "\""
            : encodedWord(cleanName)
        return "\(displayed) <\(sanitize(address))>"
    }

    static func base64Lines(_ text: String) -> [String] {
        let encoded = Base64Alphabet.standard.encode(Array(text.utf8)) + padding(text.utf8.count)
        var lines: [String] = []
        var start = encoded.startIndex
        while start < encoded.endIndex {
            let end = encoded.index(start, offsetBy: 76, limitedBy: encoded.endIndex) ?? encoded.endIndex
            lines.append(String(encoded[start..<end]))
            start = end
        }
        return lines
    }

    static func rfc5322Date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }
}
