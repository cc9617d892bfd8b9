import Foundation

/// LibreChat's zod schemas for registration and login, with its message format: every issue as
/// `<field>: <message>`, joined with spaces. Lengths count UTF-16 code units, as JavaScript does.
public enum Validation {
    /// An avatar is kept only as an https URL of at most 2 KiB without spaces or control characters
    /// (a provider's picture and the account page's field alike).
    public static func isAvatarURL(_ url: String) -> Bool {
        url.utf8.count <= 2048 && url.lowercased().hasPrefix("https://")
            && !url.unicodeScalars.contains { $0.value <= 0x20 || $0.value == 0x7F }
    }

    /// A short label as typed (a passkey's name, a ban's reason): trimmed, at most `maximumLength`
    /// characters, on one line; `nil` otherwise (whether it may be empty is for the caller to say).
    public static func singleLine(_ typed: String?, maximumLength: Int) -> String? {
        let trimmed = (typed ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.count <= maximumLength, !trimmed.contains(where: \.isNewline) else { return nil }
        return trimmed
    }

    static func nameIssues(name: String?, username: String?) -> [String] {
        var issues: [String] = []
        issues += lengthIssues("name", name, min: 3, max: 80)
        if let username, !username.isEmpty {
            issues += lengthIssues("username", username, min: 2, max: 80)
            if !username.unicodeScalars.allSatisfy(isAllowedUsernameScalar) {
                issues.append("username: Invalid characters in username")
            }
            if hasInjectionPattern(username) {
                issues.append("username: Potential injection attack detected")
            }
        }
        return issues
    }

    public static func registrationErrors(
        name: String?, username: String?, email: String?, password: String?, confirmPassword: String?,
        minPasswordLength: Int
    ) -> String? {
        var issues = nameIssues(name: name, username: username)
        if !isValidEmail(email) { issues.append("email: Invalid email") }
        issues += passwordIssues("password", password, min: minPasswordLength)
        issues += passwordIssues("confirm_password", confirmPassword, min: minPasswordLength)
        if let password, let confirmPassword, password != confirmPassword {
            issues.append("confirm_password: The passwords did not match")
        }
        return issues.isEmpty ? nil : issues.joined(separator: " ")
    }

    /// The fields messages in this format name (the forms' inputs).
    static let fields: Set<String> = ["name", "username", "email", "password", "confirm_password", "avatar"]

    /// A message in this format split by field (`"name: Required email: Invalid email"` →
    /// `["name": "Required", "email": "Invalid email"]`), for a form to show each issue next to its
    /// input; empty when the message is not in this format.
    public static func issuesByField(_ message: String) -> [String: String] {
        let matches = message.matches(of: #/(?:^| )([a-z_]+): /#).filter { fields.contains(String($0.output.1)) }
        guard let first = matches.first, first.range.lowerBound == message.startIndex else { return [:] }
        var issues: [String: String] = [:]
        for (index, match) in matches.enumerated() {
            let end = index + 1 < matches.count ? matches[index + 1].range.lowerBound : message.endIndex
            let text = String(message[match.range.upperBound..<end])
            issues[String(match.output.1), default: ""] += issues[String(match.output.1)] == nil ? text : " " + text
        }
        return issues
    }

    public static func loginErrors(email: String?, password: String?, minPasswordLength: Int) -> String? {
        var issues: [String] = []
        if !isValidEmail(email) { issues.append("email: Invalid email") }
        issues += passwordIssues("password", password, min: minPasswordLength)
        return issues.isEmpty ? nil : issues.joined(separator: " ")
    }

    static func lengthIssues(_ field: String, _ value: String?, min: Int, max: Int) -> [String] {
        guard let value else { return ["\(field): Required"] }
        let length = value.utf16.count
        if length < min { return ["\(field): String must contain at least \(min) character(s)"] }
        if length > max { return ["\(field): String must contain at most \(max) character(s)"] }
        return []
    }

    public static func passwordIssues(_ field: String, _ value: String?, min: Int) -> [String] {
        var issues = lengthIssues(field, value, min: min, max: 128)
        if let value, !value.isEmpty, value.allSatisfy(\.isWhitespace) {
            issues.append("\(field): Password cannot be only spaces")
        }
        return issues
    }

    /// zod's `.email()` pattern: a dot-atom-ish local part and a domain of labels with a 2+ letter TLD.
    public static func isValidEmail(_ email: String?) -> Bool {
        guard let email, email.utf8.count <= 254, let at = email.lastIndex(of: "@") else { return false }
        let local = email[..<at]
        let domain = email[email.index(after: at)...]
        guard !local.isEmpty, local.utf8.count <= 64, !local.hasPrefix("."), !local.contains("..") else { return false }
        let localAllowed = local.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
                || c == UInt8(ascii: "_") || c == UInt8(ascii: "'") || c == UInt8(ascii: "+") || c == UInt8(ascii: "-")
                || c == UInt8(ascii: ".")
        }
        guard localAllowed, local.last != "." && local.last != "'" else { return false }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, let tld = labels.last, tld.count >= 2, tld.allSatisfy({ $0.isASCII && $0.isLetter })
        else { return false }
        for label in labels.dropLast() {
            guard let first = label.first, first.isASCII, first.isLetter || first.isNumber,
                label.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") })
            else { return false }
        }
        return true
    }

    static func hasInjectionPattern(_ text: String) -> Bool {
        let single: Set<Character> = ["'", "{", "}", "*", ";", "<", ">", "/", "="]
        if text.contains(where: { single.contains($0) }) { return true }
        return ["--", "$ne", "$gt", "$lt", "$or"].contains { text.contains($0) }
    }

    /// `[a-zA-Z0-9_.@#$%&*()]` plus the Latin, Common, Cyrillic, Devanagari, Han, Arabic, Hiragana,
    /// Katakana and Hangul scripts (by their Unicode blocks).
    static func isAllowedUsernameScalar(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        if v < 0x80 { return v >= 0x20 && v != 0x7F }  // ASCII letters, digits and Common punctuation
        let ranges: [ClosedRange<UInt32>] = [
            0x00A0...0x024F, 0x1E00...0x1EFF, 0x2C60...0x2C7F, 0xA720...0xA7FF,  // Latin and Latin-1 symbols
            0x0400...0x052F, 0x1C80...0x1C8F, 0x2DE0...0x2DFF, 0xA640...0xA69F,  // Cyrillic
            0x0900...0x097F, 0xA8E0...0xA8FF,  // Devanagari
            0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2FA1F, 0xF900...0xFAFF,  // Han
            0x0600...0x06FF, 0x0750...0x077F, 0x08A0...0x08FF, 0xFB50...0xFDFF, 0xFE70...0xFEFF,  // Arabic
            0x3040...0x309F, 0x30A0...0x30FF, 0x31F0...0x31FF,  // Hiragana, Katakana
            0xAC00...0xD7AF, 0x1100...0x11FF, 0x3130...0x318F,  // Hangul
            0x2000...0x2BFF, 0x3000...0x303F, 0xFF00...0xFFEF, 0x1F000...0x1FAFF,  // Common punctuation and symbols
        ]
        return ranges.contains { $0.contains(v) }
    }
}
