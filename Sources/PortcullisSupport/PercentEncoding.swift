/// Percent-encoding, one implementation for every module: URL components (RFC 3986 §2.3) and
/// `application/x-www-form-urlencoded` (WHATWG URL §5.2), which differ only in which bytes stay.
package enum PercentEncoding {
    /// A URL component: everything but the unreserved characters (`A–Z a–z 0–9 - . _ ~`) is encoded.
    package static func component(_ text: String) -> String {
        encode(text) {
            isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_")
                || $0 == UInt8(ascii: "~")
        }
    }

    /// A form value: alphanumerics and `* - . _` stay, a space becomes `+`, everything else is encoded.
    package static func form(_ text: String) -> String {
        encode(text, spaceAsPlus: true) {
            isAlphanumeric($0) || $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".")
                || $0 == UInt8(ascii: "_")
        }
    }

    /// A `Set-Cookie` value, as Express's `res.cookie` writes it: cookie-octets (RFC 6265 §4.1.1)
    /// stay, except `%`; everything else is encoded, so a value can never inject attributes.
    package static func cookieValue(_ text: String) -> String {
        encode(text) {
            $0 != UInt8(ascii: "%")
                && ($0 == 0x21 || (0x23...0x2B).contains($0) || (0x2D...0x3A).contains($0) || (0x3C...0x5B).contains($0)
                    || (0x5D...0x7E).contains($0))
        }
    }

    /// `name=value&...` with both sides form-encoded.
    package static func form(_ pairs: [(String, String)]) -> String {
        pairs.map { form($0.0) + "=" + form($0.1) }.joined(separator: "&")
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }

    private static let hex = Array("0123456789ABCDEF".utf8)

    private static func encode(_ text: String, spaceAsPlus: Bool = false, keeps: (UInt8) -> Bool) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            if keeps(byte) {
                out.append(byte)
            } else if spaceAsPlus && byte == UInt8(ascii: " ") {
                out.append(UInt8(ascii: "+"))
            } else {
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
