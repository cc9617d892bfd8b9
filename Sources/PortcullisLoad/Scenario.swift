/// What each virtual user does, over and over.
public enum Scenario: String, Sendable, CaseIterable {
    /// login → GET /api/user × k → refresh × r → logout
    case mixed
    /// login, repeatedly
    case loginOnly = "login-only"
    /// login once, then GET /api/user
    case verifyOnly = "verify-only"
    /// login once, then POST /api/auth/refresh (rotating the cookie every time)
    case refreshStorm = "refresh-storm"
    /// register new accounts
    case register
}

/// One operation of a scenario.
public enum Operation: String, Sendable, CaseIterable, Codable {
    case login, user, refresh, logout, register
}

/// A virtual user's place in its scenario.
struct ScenarioCursor {
    let scenario: Scenario
    let userGets: Int
    let refreshes: Int
    var step = 0
    var loggedIn = false

    /// The next operation, given whether the user currently holds a session.
    mutating func next() -> Operation {
        switch scenario {
        case .loginOnly: return .login
        case .register: return .register
        case .verifyOnly: return loggedIn ? .user : .login
        case .refreshStorm: return loggedIn ? .refresh : .login
        case .mixed:
            if !loggedIn {
                step = 0
                return .login
            }
            defer { step += 1 }
            if step < userGets { return .user }
            if step < userGets + refreshes { return .refresh }
            return .logout
        }
    }
}
