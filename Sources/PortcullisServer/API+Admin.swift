import PortcullisCore
import PortcullisHTTP

/// The admin API for ADMIN tokens: the audit log (users, bans and the rest follow the same shape).
extension API {
    func addAdminRoutes(_ routes: inout Routes) {
        routes.admin(.get, "/api/admin/audit") { [self] request, _ in
            let query: AuditQuery
            do throws(AuditJSON.QueryError) {
                query = try await AuditJSON.query(
                    user: request.queryItem("user"), kind: request.queryItem("kind"),
                    since: request.queryItem("since"), until: request.queryItem("until"),
                    limit: request.queryItem("limit"), users: service.users)
            } catch {
                throw error.apiError
            }
            let events = await service.audit.events(query)
            switch request.queryItem("format") {
            case "jsonl":
                return HTTPResponse(
                    status: .ok, headers: ["Content-Type": "application/x-ndjson"], body: AuditJSON.lines(events))
            case nil, "json":
                return .json(bytes: UserJSON.data(["events": events.map(AuditJSON.object)]))
            default:
                throw APIError.message("format must be json or jsonl", .badRequest)
            }
        }
    }
}
