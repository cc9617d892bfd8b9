import CPortcullisCurl
import Dispatch
import FoundationEssentials

/// One request to a provider (token, userinfo, JWKS, discovery, profile APIs).
public struct OutboundRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(String, String)]
    public var body: [UInt8]?

    public init(method: String = "GET", url: String, headers: [(String, String)] = [], body: [UInt8]? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    /// A form POST (`application/x-www-form-urlencoded`) asking for JSON back.
    public static func form(_ url: String, _ body: String, headers: [(String, String)] = []) -> OutboundRequest {
        OutboundRequest(
            method: "POST", url: url,
            headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")] + headers,
            body: Array(body.utf8))
    }
}

/// A provider's answer: status and a body no longer than the client's limit.
public struct OutboundResponse: Sendable {
    public var status: Int
    public var body: [UInt8]
}

/// Why a request to a provider failed. The description never holds the URL's query, a header or a
/// body: they may carry codes, tokens or secrets.
public enum OutboundError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not an `https` URL (or `http` to a loopback host).
    case refusedURL
    /// Connection, TLS or protocol failure, or the time limit passed.
    case transport(String)
    /// The body was longer than allowed; the transfer was stopped.
    case tooLarge

    public var description: String {
        switch self {
        case .refusedURL: "refused URL"
        case .transport(let reason): reason
        case .tooLarge: "response too large"
        }
    }
}

/// Sends requests to identity providers.
public protocol OutboundHTTP: Sendable {
    func send(_ request: OutboundRequest) async throws(OutboundError) -> OutboundResponse
}

/// Outbound HTTPS through libcurl, on threads of its own (never the cooperative pool's): bounded
/// connect and total time, a hard cap on the response size (the transfer is aborted, not read to
/// the end and dropped), no redirects, only `https` (or `http` to loopback), certificates checked.
///
/// Foundation's `URLSession` was measured first: on Linux a cancelled data task went on receiving
/// the whole body (5 MB arrived after cancelling at 100 KB), so it cannot enforce a size limit.
public struct CurlHTTP: OutboundHTTP {
    public var connectTimeout: Int
    public var totalTimeout: Int
    public var maximumResponseBytes: Int
    public var userAgent: String

    private static let initialised: Bool = {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT))
        return true
    }()
    private static let queue = DispatchQueue(label: "portcullis.outbound-http", attributes: .concurrent)

    public init(
        connectTimeout: Int = 5, totalTimeout: Int = 10, maximumResponseBytes: Int = 256 * 1024,
        userAgent: String = "Portcullis"
    ) {
        self.connectTimeout = connectTimeout
        self.totalTimeout = totalTimeout
        self.maximumResponseBytes = maximumResponseBytes
        self.userAgent = userAgent
    }

    public func send(_ request: OutboundRequest) async throws(OutboundError) -> OutboundResponse {
        guard OpenIDProviderMetadata.isAcceptableEndpoint(request.url) else { throw .refusedURL }
        let result: Result<OutboundResponse, OutboundError> = await withCheckedContinuation { continuation in
            Self.queue.async { continuation.resume(returning: perform(request)) }
        }
        return try result.get()
    }

    private func perform(_ request: OutboundRequest) -> Result<OutboundResponse, OutboundError> {
        _ = Self.initialised
        guard let handle = curl_easy_init() else { return .failure(.transport("curl_easy_init failed")) }
        var headers: UnsafeMutablePointer<curl_slist>?
        defer {
            curl_slist_free_all(headers)
            curl_easy_cleanup(handle)
        }
        _ = CPortcullisCurl_setopt_string(handle, CURLOPT_URL, request.url)
        _ = CPortcullisCurl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "https,http")
        _ = CPortcullisCurl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0)
        _ = CPortcullisCurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        _ = CPortcullisCurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT, connectTimeout)
        _ = CPortcullisCurl_setopt_long(handle, CURLOPT_TIMEOUT, totalTimeout)
        _ = CPortcullisCurl_setopt_long(handle, CURLOPT_MAXFILESIZE, maximumResponseBytes)
        _ = CPortcullisCurl_setopt_string(handle, CURLOPT_USERAGENT, userAgent)
        _ = CPortcullisCurl_setopt_string(handle, CURLOPT_ACCEPT_ENCODING, "identity")
        for (name, value) in request.headers
        where !name.contains(where: \.isNewline) && !value.contains(where: \.isNewline) {
            headers = curl_slist_append(headers, "\(name): \(value)")
        }
        _ = CPortcullisCurl_setopt_slist(handle, CURLOPT_HTTPHEADER, headers)
        if let body = request.body {
            _ = CPortcullisCurl_setopt_long(handle, CURLOPT_POSTFIELDSIZE, body.count)
            // COPYPOSTFIELDS copies POSTFIELDSIZE bytes (set first), so the body need not outlive this call.
            _ = (body.isEmpty ? [0] : body).withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) {
                    CPortcullisCurl_setopt_string(handle, CURLOPT_COPYPOSTFIELDS, $0.baseAddress)
                }
            }
        }
        if request.method != "GET" && request.method != "POST" {
            _ = CPortcullisCurl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, request.method)
        }
        // The body is written straight into the array it is returned in (no zero-fill, no copy).
        var code = CURLE_OK
        let body = [UInt8](unsafeUninitializedCapacity: maximumResponseBytes) { buffer, count in
            var capture = CPortcullisCurl_Capture(
                bytes: UnsafeMutableRawPointer(buffer.baseAddress)?.assumingMemoryBound(to: CChar.self),
                capacity: buffer.count, length: 0)
            _ = CPortcullisCurl_set_bounded_capture(handle, &capture)
            code = curl_easy_perform(handle)
            count = capture.length
        }
        switch code {
        case CURLE_OK:
            return .success(OutboundResponse(status: CPortcullisCurl_response_code(handle), body: body))
        case CURLE_WRITE_ERROR, CURLE_FILESIZE_EXCEEDED:
            return .failure(.tooLarge)
        default:
            return .failure(.transport(String(cString: curl_easy_strerror(code))))
        }
    }
}
