/// One violation, reduced to what is safe to log.
struct CSPReport: Equatable {
    let page: String
    let directive: String
    let blocked: String

    /// The reports in a legacy `{"csp-report": {...}}` body or a Reporting API list; `nil` when neither.
    static func read(_ json: Any) -> [CSPReport]? {
        if let object = json as? [String: Any], let body = object["csp-report"] as? [String: Any] {
            return [
                CSPReport(
                    page: body["document-uri"], directive: body["effective-directive"] ?? body["violated-directive"],
                    blocked: body["blocked-uri"])
            ]
        }
        guard let list = json as? [Any], list.count <= 16 else { return nil }
        return list.compactMap { entry in
            guard let entry = entry as? [String: Any], entry["type"] as? String == "csp-violation",
                let body = entry["body"] as? [String: Any]
            else { return nil }
            return CSPReport(
                page: body["documentURL"], directive: body["effectiveDirective"], blocked: body["blockedURL"])
        }
    }

    init(page: Any?, directive: Any?, blocked: Any?) {
        self.page = Self.clean(page, url: true)
        self.directive = Self.clean(directive, url: false)
        self.blocked = Self.clean(blocked, url: true)
    }

    /// Printable ASCII only, at most 200 characters; a URL loses its query and fragment.
    static func clean(_ value: Any?, url: Bool) -> String {
        guard var text = value as? String else { return "-" }
        if url, let cut = text.firstIndex(where: { $0 == "?" || $0 == "#" }) { text = String(text[..<cut]) }
        let printable = text.unicodeScalars.filter { $0.value >= 0x20 && $0.value < 0x7F && $0 != "\"" }
        let result = String(String.UnicodeScalarView(printable.prefix(200)))
        return result.isEmpty ? "-" : result
    }
}
