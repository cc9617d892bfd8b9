// libFuzzer entry point for the HTTP request parser. Invariants checked on every input:
// - parsing never traps;
// - a parsed request never claims more bytes than it was given, and at least one;
// - the incremental parser agrees with itself: when the whole input parses to a request, feeding
//   it in two pieces (split at every eighth boundary) yields the same request length.
import PortcullisHTTP

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let limits = HTTPLimits(
        maximumTargetLength: 256, maximumHeaderSectionLength: 1024, maximumHeaderCount: 16, maximumBodyLength: 2048)
    var parser = HTTPRequestParser(limits: limits)
    let whole = parser.parse(bytes)
    guard case .request(let request, let consumed) = whole else { return 0 }
    precondition(consumed > 0 && consumed <= bytes.count, "consumed \(consumed) of \(bytes.count)")
    precondition(request.body.count <= limits.maximumBodyLength)
    var split = 1
    while split < consumed {
        var incremental = HTTPRequestParser(limits: limits)
        if case .request = incremental.parse(Array(bytes[0..<split])) {
            // A prefix may itself be a complete request only if it is exactly as long.
            preconditionFailure("a strict prefix of \(split) bytes parsed as a request")
        }
        guard case .request(_, let again) = incremental.parse(bytes) else {
            preconditionFailure("split at \(split) changed the outcome")
        }
        precondition(again == consumed, "split at \(split) consumed \(again), whole consumed \(consumed)")
        split += 8
    }
    return 0
}
