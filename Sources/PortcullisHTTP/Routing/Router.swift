/// Matches requests to handlers by method and path; `:name` segments capture parameters and a final
/// `*` matches the rest. Unknown paths get 404, known paths with another method 405 with `Allow`.
/// A GET route also answers HEAD.
public struct Router: Sendable {
    /// What runs for a route.
    public enum Handler: Sendable {
        /// Runs on the event-loop thread. Only for work that never blocks or waits (microseconds).
        case immediate(@Sendable (HTTPRequest) throws -> HTTPResponse)
        /// Runs as a task on the concurrency pool; the loop keeps serving meanwhile.
        case deferred(@Sendable (HTTPRequest) async throws -> HTTPResponse)
    }

    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
        case rest
    }

    struct Route: Sendable {
        var method: HTTPMethod
        var segments: [Segment]
        var handler: Handler
        /// `METHOD /pattern`, what observers are told (never the raw target).
        var label: String
    }

    /// The outcome of matching a request.
    public enum Resolution: Sendable {
        /// The handler and its route's label (`METHOD /pattern`).
        case handler(Handler, route: String)
        case notFound
        case methodNotAllowed(allow: [String])
    }

    private var routes: [Route] = []
    /// Routes without parameters, by exact path, for a lookup that needs no splitting.
    private var literalRoutes: [String: [Route]] = [:]

    public init() {}

    /// Adds an async route.
    public mutating func on(
        _ method: HTTPMethod, _ path: String, _ handler: @escaping @Sendable (HTTPRequest) async throws -> HTTPResponse
    ) {
        add(
            Route(
                method: method, segments: Self.segments(path), handler: .deferred(handler),
                label: "\(method.rawValue) \(path)"),
            path: path)
    }

    private mutating func add(_ route: Route, path: String) {
        routes.append(route)
        if route.segments.allSatisfy({ if case .literal = $0 { true } else { false } }) {
            literalRoutes[path, default: []].append(route)
        }
    }

    /// Adds a route answered on the event loop; see ``Handler/immediate(_:)``.
    public mutating func onImmediate(
        _ method: HTTPMethod, _ path: String, _ handler: @escaping @Sendable (HTTPRequest) throws -> HTTPResponse
    ) {
        add(
            Route(
                method: method, segments: Self.segments(path), handler: .immediate(handler),
                label: "\(method.rawValue) \(path)"),
            path: path)
    }

    public mutating func get(_ path: String, _ handler: @escaping @Sendable (HTTPRequest) async throws -> HTTPResponse)
    {
        on(.get, path, handler)
    }

    public mutating func post(_ path: String, _ handler: @escaping @Sendable (HTTPRequest) async throws -> HTTPResponse)
    {
        on(.post, path, handler)
    }

    public mutating func delete(
        _ path: String, _ handler: @escaping @Sendable (HTTPRequest) async throws -> HTTPResponse
    ) {
        on(.delete, path, handler)
    }

    /// Finds the handler for `request` and fills in its path parameters.
    public func resolve(_ request: inout HTTPRequest) -> Resolution {
        if let candidates = literalRoutes[request.path] {
            for route in candidates
            where route.method == request.method || (request.method == .head && route.method == .get) {
                return .handler(route.handler, route: route.label)
            }
        }
        let parts = request.path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        var allowed: [String] = []
        for route in routes {
            guard let parameters = Self.match(route.segments, parts) else { continue }
            if route.method == request.method || (request.method == .head && route.method == .get) {
                request.parameters = parameters
                return .handler(route.handler, route: route.label)
            }
            allowed.append(route.method.rawValue)
            if route.method == .get { allowed.append("HEAD") }
        }
        if allowed.isEmpty { return .notFound }
        var seen = Set<String>()
        return .methodNotAllowed(allow: allowed.filter { seen.insert($0).inserted })
    }

    /// The answer for a request no route matched: 404, or 405 with `Allow`.
    static func unmatched(_ resolution: Resolution) -> HTTPResponse? {
        switch resolution {
        case .notFound:
            return .message("Not Found", status: .notFound)
        case .methodNotAllowed(let allow):
            var response = HTTPResponse.message("Method Not Allowed", status: .methodNotAllowed)
            response.headers.add(name: "Allow", value: allow.joined(separator: ", "))
            return response
        case .handler:
            return nil
        }
    }

    /// What the server would answer, without a connection: resolves the route, runs its handler and
    /// renders what it throws exactly as the event loop does. For in-process tests and tools.
    public func respond(to request: HTTPRequest) async -> HTTPResponse {
        var request = request
        let resolution = resolve(&request)
        do {
            switch resolution {
            case .handler(.immediate(let handler), _): return try handler(request)
            case .handler(.deferred(let handler), _): return try await handler(request)
            case .notFound, .methodNotAllowed: return Self.unmatched(resolution)!
            }
        } catch {
            return render(error)
        }
    }

    static func segments(_ path: String) -> [Segment] {
        path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map { part in
            if part == "*" { return .rest }
            if part.hasPrefix(":") { return .parameter(String(part.dropFirst())) }
            return .literal(String(part))
        }
    }

    static func match(_ segments: [Segment], _ parts: ArraySlice<Substring>) -> [String: String]? {
        var parameters: [String: String] = [:]
        var index = parts.startIndex
        for (position, segment) in segments.enumerated() {
            switch segment {
            case .rest:
                parameters["*"] = parts[index...].joined(separator: "/")
                return position == segments.count - 1 ? parameters : nil
            case .literal(let literal):
                guard index < parts.endIndex, parts[index] == literal else { return nil }
            case .parameter(let name):
                guard index < parts.endIndex, !parts[index].isEmpty else { return nil }
                parameters[name] = FormURLEncoded.decode(parts[index], plusAsSpace: false)
            }
            index += 1
        }
        return index == parts.endIndex ? parameters : nil
    }
}
