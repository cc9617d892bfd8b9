// libFuzzer entry point for the WebAuthn parsers (CBOR, COSE keys, authenticator data, attestation
// objects, client data). Invariants checked on every input:
// - parsing never traps, however the bytes are read;
// - a prefix decode never claims more bytes than it was given, and a whole decode is a prefix
//   decode that used every byte;
// - the first byte chooses how the rest is read, so one corpus reaches every parser.
import PortcullisCrypto

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWebAuthn(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let selector = bytes.first else { return 0 }
    let rest = Array(bytes.dropFirst())
    switch selector % 5 {
    case 0:
        let whole = try? CBOR.decode(rest)
        if let (_, end) = try? CBOR.decodePrefix(rest, from: 0) {
            precondition(end > 0 && end <= rest.count, "prefix decode ended at \(end) of \(rest.count)")
            precondition((whole != nil) == (end == rest.count), "whole and prefix decodes disagree")
        } else {
            precondition(whole == nil, "a whole decode succeeded where the prefix decode failed")
        }
    case 1: _ = try? COSEKey(bytes: rest)
    case 2: _ = try? AuthenticatorData(bytes: rest)
    case 3: _ = try? AttestationObject(bytes: rest)
    default:
        if let clientData = try? ClientData(json: rest) {
            precondition(clientData.bytes == rest)
        }
    }
    return 0
}
