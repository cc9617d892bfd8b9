/// An error that knows its HTTP answer, as Hummingbird's `HTTPResponseError`: handlers throw
/// these and the server renders them in one place. Any other error a handler throws becomes a 500
/// that says only `Internal Server Error`.
public protocol HTTPResponseError: Error {
    /// The complete answer for this error.
    var response: HTTPResponse { get }
}

/// The simplest such error: a status and LibreChat's `{"message": ...}` body.
public struct HTTPError: HTTPResponseError, Sendable, Equatable {
    public var status: HTTPStatus
    public var message: String

    public init(_ status: HTTPStatus, message: String) {
        self.status = status
        self.message = message
    }

    public var response: HTTPResponse { .message(message, status: status) }
}
