import PortcullisCore
import PortcullisHTTP

/// Audit entries as the API, the command line and exports show them (one JSON object each; JSON
/// lines for an export), and the query they are read with.
enum AuditJSON {
    static func object(_ event: AuditEvent) -> [String: Any] {
        var object: [String: Any] = [
            "sequence": event.sequence, "time": UserJSON.isoDate(event.time), "kind": event.kind.rawValue,
            "outcome": event.outcome.rawValue, "actor": event.actor,
        ]
        for (key, value) in [
            ("subject", event.subject), ("email", event.email), ("ip", event.ip), ("device", event.device),
            ("detail", event.detail),
        ] {
            if let value { object[key] = value }
        }
        return object
    }

    /// JSON lines: one entry a line, newest first.
    static func lines(_ events: [AuditEvent]) -> [UInt8] {
        var out: [UInt8] = []
        for event in events {
            out += UserJSON.data(object(event))
            out.append(UInt8(ascii: "\n"))
        }
        return out
    }

    /// Why a query was refused: a 400, or a 404 for an unknown user.
    struct QueryError: Error {
        var message: String
        /// The parameter (a form's input) it is about.
        var field: String
        var status = 400

        var apiError: APIError { .invalidField(message, field: field, HTTPStatus(code: status)) }
    }

    /// The entries as a JSON-lines answer (`application/x-ndjson`).
    static func linesResponse(_ events: [AuditEvent]) -> HTTPResponse {
        HTTPResponse(status: .ok, headers: ["Content-Type": "application/x-ndjson"], body: lines(events))
    }

    /// Most entries one read returns.
    static let maximumLimit = 100_000

    /// Reads `user` (an email or a user id), `kind` (comma-separated), `since`/`until` (ISO 8601 or
    /// milliseconds since 1970) and `limit` (1…100,000, default 100); a bad one is a 400 naming it.
    static func query(
        user: String?, kind: String?, since: String?, until: String?, limit: String?, users: UserStore
    ) async throws(QueryError) -> AuditQuery {
        var query = AuditQuery()
        if let user, !user.isEmpty {
            if user.contains("@") {
                guard let found = await users.user(email: user) else {
                    throw QueryError(message: "No such user: \(user.prefix(64))", field: "user", status: 404)
                }
                query.user = found.id
            } else {
                query.user = user
            }
        }
        for name in (kind ?? "").split(separator: ",") {
            guard let parsed = AuditKind(rawValue: String(name)) else {
                throw QueryError(
                    message: "Unknown kind \(name.prefix(32)); one of: "
                        + AuditKind.allCases.map(\.rawValue).joined(separator: ", "), field: "kind")
            }
            query.kinds.insert(parsed)
        }
        for (name, text, keyPath) in [("since", since, \AuditQuery.since), ("until", until, \AuditQuery.until)] {
            guard let text, !text.isEmpty else { continue }
            guard let milliseconds = Int64(text) ?? HTTPDate.parseISO8601(text) else {
                throw QueryError(
                    message: "\(name) must be ISO 8601 (2026-12-04T10:00:00Z) or milliseconds", field: name)
            }
            query[keyPath: keyPath] = milliseconds
        }
        if let limit, !limit.isEmpty {
            guard let value = Int(limit), (1...maximumLimit).contains(value) else {
                throw QueryError(message: "limit must be 1 to \(maximumLimit)", field: "limit")
            }
            query.limit = value
        }
        return query
    }
}
