import Foundation
import PortcullisCore

/// The pages' look beyond `APP_TITLE`: an optional logo file (`APP_LOGO`) and accent colour
/// (`APP_COLOR`), both checked at start so a bad value stops the server with its name instead of
/// showing a broken page. The logo is served from this server (`/assets/logo`), as the CSP wants, and
/// the colour as a stylesheet (`/assets/theme.css`), since the CSP allows no inline style.
struct Branding: Sendable {
    /// The largest logo file read.
    static let logoLimit = 256 * 1024

    struct Logo: Sendable {
        let bytes: [UInt8]
        let contentType: String
    }

    let logo: Logo?
    /// `#rrggbb`, lower case.
    let accent: String?

    init(logo: Logo? = nil, accent: String? = nil) {
        self.logo = logo
        self.accent = accent
    }

    init(environment: Environment) throws(ConfigurationError) {
        if let path = environment["APP_LOGO"], !path.isEmpty {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ConfigurationError("APP_LOGO", "cannot read \(path)")
            }
            guard data.count <= Self.logoLimit else {
                throw ConfigurationError("APP_LOGO", "is larger than 256 KiB")
            }
            guard let type = Self.imageType(Array(data)) else {
                throw ConfigurationError("APP_LOGO", "is not a PNG, JPEG, WebP or SVG image")
            }
            logo = Logo(bytes: Array(data), contentType: type)
        } else {
            logo = nil
        }
        if let colour = environment["APP_COLOR"], !colour.isEmpty {
            guard let accent = Self.hexColour(colour) else {
                throw ConfigurationError("APP_COLOR", "expected #rgb or #rrggbb")
            }
            self.accent = accent
        } else {
            accent = nil
        }
    }

    /// The media type from the file's first bytes (its name is not trusted).
    static func imageType(_ bytes: [UInt8]) -> String? {
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return "image/png" }
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return "image/jpeg" }
        if bytes.count >= 12, bytes.starts(with: Array("RIFF".utf8)), Array(bytes[8..<12]) == Array("WEBP".utf8) {
            return "image/webp"
        }
        let head = String(decoding: bytes.prefix(512), as: UTF8.self).drop { $0.isWhitespace || $0 == "\u{FEFF}" }
        if head.hasPrefix("<svg") || (head.hasPrefix("<?xml") && head.contains("<svg")) { return "image/svg+xml" }
        return nil
    }

    /// `#rgb` or `#rrggbb` as `#rrggbb`; anything else (names, `url(…)`, `;`) is refused, so the value
    /// can be written into a stylesheet as it is.
    static func hexColour(_ text: String) -> String? {
        let digits = text.lowercased().dropFirst()
        guard text.first == "#", digits.allSatisfy(\.isHexDigit), digits.count == 3 || digits.count == 6 else {
            return nil
        }
        return "#" + (digits.count == 3 ? digits.map { "\($0)\($0)" }.joined() : String(digits))
    }

    /// The theme stylesheet: the accent in light and dark schemes alike.
    var themeStylesheet: [UInt8] {
        guard let accent else { return [] }
        return Array(
            ":root { --accent: \(accent); }\n@media (prefers-color-scheme: dark) { :root { --accent: \(accent); } }\n"
                .utf8)
    }
}
