/// Size limits the parser enforces. Every one of them bounds memory per connection.
public struct HTTPLimits: Sendable, Equatable {
    /// Longest request target (414 beyond).
    public var maximumTargetLength: Int
    /// Longest header section, request line excluded (431 beyond); also bounds chunked trailers.
    public var maximumHeaderSectionLength: Int
    /// Most header fields (431 beyond).
    public var maximumHeaderCount: Int
    /// Largest body, with `Content-Length` or chunked (413 beyond).
    public var maximumBodyLength: Int

    public init(
        maximumTargetLength: Int = 8 * 1024, maximumHeaderSectionLength: Int = 16 * 1024,
        maximumHeaderCount: Int = 100, maximumBodyLength: Int = 1 << 20
    ) {
        self.maximumTargetLength = maximumTargetLength
        self.maximumHeaderSectionLength = maximumHeaderSectionLength
        self.maximumHeaderCount = maximumHeaderCount
        self.maximumBodyLength = maximumBodyLength
    }

    /// The most bytes a complete request can occupy in a connection's buffer (framing slack included).
    var maximumRequestLength: Int {
        maximumTargetLength + maximumHeaderSectionLength + maximumBodyLength * 2 + 64 * 1024
    }
}

/// Why a request was refused: the status to answer with. The connection is always closed after it,
/// since the framing of whatever follows can no longer be trusted.
public struct HTTPParseError: Error, Equatable, Sendable, CustomStringConvertible {
    public var status: HTTPStatus
    public var reason: String

    public init(_ status: HTTPStatus, _ reason: String) {
        self.status = status
        self.reason = reason
    }

    public var description: String { "\(status.code) \(reason)" }
}
