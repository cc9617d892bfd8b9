import PortcullisHTTP

/// The operator API, served only on the admin Unix socket (`<data dir>/admin.sock`, mode 0600):
/// the file's permissions are the authentication. Each route reads its ``AdminCommand`` and runs it.
extension AdminOperations {
    public func makeRouter() -> Router {
        var router = Router()
        for (method, path) in AdminCommand.routes {
            router.on(method, path) { [self] request in
                let command = try AdminCommand(request)
                let answer = try await perform(command)
                let type = command == .exportUsers ? "application/x-ndjson" : "application/json; charset=utf-8"
                return HTTPResponse(
                    status: HTTPStatus(code: answer.status), headers: ["Content-Type": type], body: answer.body)
            }
        }
        return router
    }
}
