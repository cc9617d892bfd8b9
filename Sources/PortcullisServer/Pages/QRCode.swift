import CQRencode

/// A QR code (libqrencode, error correction M) drawn as inline SVG: markup, not script or style,
/// so the pages' CSP holds. The path holds only digits and commands; nothing from the text is echoed.
enum QRCode {
    static func svg(_ text: String, size: Int = 232) -> String? {
        guard let code = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M) else { return nil }
        defer { QRcode_free(code) }
        let width = Int(code.pointee.width)
        let quiet = 4
        var path = ""
        for y in 0..<width {
            for x in 0..<width where code.pointee.data[y * width + x] & 1 == 1 {
                path += "M\(x + quiet) \(y + quiet)h1v1h-1z"
            }
        }
        let full = width + 2 * quiet
        return
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(full) \(full)\" width=\"\(size)\" height=\"\(size)\" "
            + "role=\"img\" aria-label=\"QR code of the authenticator link\" shape-rendering=\"crispEdges\">"
            + "<rect width=\"\(full)\" height=\"\(full)\" fill=\"#fff\"/><path fill=\"#000\" d=\"\(path)\"/></svg>"
    }
}
