import Foundation
import Testing

@testable import PortcullisCrypto

/// CBOR against RFC 8949's examples and Python's `cbor2`; COSE keys, authenticator data and whole
/// ceremonies against registrations and assertions signed by Python's `cryptography`.
@Suite("WebAuthn: CBOR, COSE, authenticator data, ceremonies")
struct WebAuthnTests {
    static func hex(_ text: String) -> [UInt8] { Hex.decode(text)! }

    @Test("RFC 8949 Appendix A examples of the accepted subset")
    func rfcExamples() throws {
        let examples: [(String, CBOR)] = [
            ("00", .unsigned(0)), ("17", .unsigned(23)), ("1818", .unsigned(24)), ("1903e8", .unsigned(1000)),
            ("1b000000e8d4a51000", .unsigned(1_000_000_000_000)), ("1bffffffffffffffff", .unsigned(.max)),
            ("20", .negative(0)), ("3903e7", .negative(999)), ("3bffffffffffffffff", .negative(.max)),
            ("40", .bytes([])), ("4401020304", .bytes([1, 2, 3, 4])), ("60", .text("")), ("6161", .text("a")),
            ("62c3bc", .text("ü")), ("64f0908591", .text("𐅑")), ("80", .array([])),
            ("83010203", .array([.unsigned(1), .unsigned(2), .unsigned(3)])),
            (
                "a201020304",
                .map([.init(key: .unsigned(1), value: .unsigned(2)), .init(key: .unsigned(3), value: .unsigned(4))])
            ),
            (
                "a26161016162820203",
                .map([
                    .init(key: .text("a"), value: .unsigned(1)),
                    .init(key: .text("b"), value: .array([.unsigned(2), .unsigned(3)])),
                ])
            ),
            ("f4", .bool(false)), ("f5", .bool(true)), ("f6", .null),
        ]
        for (encoded, expected) in examples {
            #expect(try CBOR.decode(Self.hex(encoded)) == expected, "\(encoded)")
        }
        #expect(CBOR.negative(999).integer == -1000)
        #expect(CBOR.negative(.max).integer == nil)
    }

    @Test("what CTAP2's canonical form does not allow is refused")
    func refusals() throws {
        let refused = [
            "f97c00",  // half float
            "fb3ff199999999999a",  // double
            "f7", "f0",  // undefined, other simple values
            "c11a514b67b0",  // a tag
            "5f42010243030405ff", "7f657374726561646d696e67ff", "9fff", "bfff",  // indefinite lengths
            "1817", "190017", "1a0000ffff", "1b00000000ffffffff", "3817",  // not the shortest form
            "1c", "1d", "1e",  // reserved
            "a201020103",  // duplicate key
            "a1f600", "a14100",  // keys other than integers and text
            "4401", "62c3", "8301", "a101",  // cut short
            "61ff", "62c328",  // not UTF-8
            "0000",  // trailing bytes
            "5bffffffffffffffff", "9bffffffffffffffff",  // lengths beyond the input
            "", String(repeating: "81", count: 9) + "00",  // nothing; nested too deeply
        ]
        for encoded in refused {
            #expect(throws: WebAuthnError.self, "\(encoded)") { try CBOR.decode(Self.hex(encoded)) }
        }
        let manyItems = [0x99, 0x02, 0x00] + [UInt8](repeating: 0, count: 512)
        #expect(throws: WebAuthnError.self) { try CBOR.decode(manyItems) }
        #expect(try CBOR.decode(manyItems, limits: CBOR.Limits(maximumDepth: 8, maximumItems: 513)).mapEntries == nil)
    }

    /// cbor2's description of an item, as our value.
    static func described(_ description: Any) -> CBOR? {
        guard let parts = description as? [Any], let kind = parts.first as? String else { return nil }
        switch kind {
        case "u": return (parts[1] as? String).flatMap { UInt64($0) }.map(CBOR.unsigned)
        case "n": return (parts[1] as? String).flatMap { UInt64($0) }.map(CBOR.negative)
        case "b": return (parts[1] as? String).flatMap { Hex.decode($0) }.map(CBOR.bytes)
        case "t": return (parts[1] as? String).map(CBOR.text)
        case "bool": return (parts[1] as? Bool).map(CBOR.bool)
        case "null": return .null
        case "a":
            let items = (parts[1] as? [Any] ?? []).compactMap(described)
            return .array(items)
        default:
            let entries = (parts[1] as? [[Any]] ?? []).compactMap { pair -> CBOR.Entry? in
                guard let key = described(pair[0]), let value = described(pair[1]) else { return nil }
                return CBOR.Entry(key: key, value: value)
            }
            return .map(entries)
        }
    }

    @Test("400 random items encoded by cbor2 decode to what cbor2 encoded")
    func differentialWithCBOR2() throws {
        let answer = try Oracle.run([["op": "cbor_random", "seed": Int.random(in: 0..<1_000_000), "count": 400]])
        let items = try #require(answer.first as? [[Any]])
        #expect(items.count == 400)
        for item in items {
            let encoded = try #require((item[0] as? String).flatMap { Hex.decode($0) })
            let expected = try #require(Self.described(item[1]))
            let decoded = try CBOR.decode(encoded, limits: CBOR.Limits(maximumDepth: 8, maximumItems: 4096))
            #expect(decoded == expected, "\(item[0])")
        }
    }

    static let party = WebAuthnRelyingParty(id: "example.com", origins: ["https://example.com"])

    struct Ceremony {
        let registration: (clientData: [UInt8], attestation: [UInt8], cose: [UInt8])
        let assertions: [(clientData: [UInt8], authenticatorData: [UInt8], signature: [UInt8])]
        let createChallenge: [UInt8]
        let getChallenges: [[UInt8]]
        let credential: [UInt8]
    }

    static func ceremony(
        _ alg: String, origin: String = "https://example.com", rpID: String = "example.com"
    ) throws
        -> Ceremony
    {
        let create = RandomInputs.bytes(42)
        let gets = (0..<3).map { _ in RandomInputs.bytes(42) }
        let credential = RandomInputs.bytes(32)
        let answer = try Oracle.run([
            [
                "op": "webauthn", "alg": alg, "rp_id": rpID, "origin": origin, "credential": Hex.encode(credential),
                "create": Hex.encode(create), "get": gets.map { Hex.encode($0) },
            ]
        ])
        let result = try #require(answer.first as? [String: Any])
        func bytes(_ object: Any?, _ key: String) throws -> [UInt8] {
            try #require(((object as? [String: Any])?[key] as? String).flatMap { Hex.decode($0) })
        }
        let registration = result["registration"]
        let assertions = try #require(result["assertions"] as? [Any]).map { item in
            (try bytes(item, "clientDataJSON"), try bytes(item, "authenticatorData"), try bytes(item, "signature"))
        }
        return Ceremony(
            registration: (
                try bytes(registration, "clientDataJSON"), try bytes(registration, "attestationObject"),
                try bytes(registration, "cose")
            ), assertions: assertions, createChallenge: create, getChallenges: gets, credential: credential)
    }

    @Test("registrations and assertions signed by cryptography verify, ES256 and RS256", arguments: ["ES256", "RS256"])
    func ceremonies(alg: String) throws {
        let ceremony = try Self.ceremony(alg)
        let clientData = try ClientData(json: ceremony.registration.clientData)
        #expect(clientData.challenge == ceremony.createChallenge)
        let registration = try Self.party.verifyRegistration(
            clientData: clientData, attestationObject: ceremony.registration.attestation,
            challenge: ceremony.createChallenge)
        #expect(registration.credentialID == ceremony.credential)
        #expect(registration.publicKeyBytes == ceremony.registration.cose)
        #expect(registration.publicKey.algorithm == (alg == "ES256" ? -7 : -257))
        #expect(registration.signCount == 0 && !registration.backupEligible && registration.attestationFormat == "none")

        var counter: UInt32 = 0
        for (index, assertion) in ceremony.assertions.enumerated() {
            let verified = try Self.party.verifyAssertion(
                clientData: try ClientData(json: assertion.clientData), authenticatorData: assertion.authenticatorData,
                signature: assertion.signature, challenge: ceremony.getChallenges[index],
                publicKey: try COSEKey(bytes: registration.publicKeyBytes), storedSignCount: counter,
                backupEligible: false)
            #expect(verified.signCount == counter + 1)
            counter = verified.signCount
        }

        // Each refusal names its check.
        let first = ceremony.assertions[0]
        let key = try COSEKey(bytes: registration.publicKeyBytes)
        func verify(
            clientData: [UInt8] = first.clientData, data: [UInt8] = first.authenticatorData,
            signature: [UInt8] = first.signature, challenge: [UInt8]? = nil, stored: UInt32 = 0,
            party: WebAuthnRelyingParty = Self.party
        ) throws(WebAuthnError) {
            _ = try party.verifyAssertion(
                clientData: try ClientData(json: clientData), authenticatorData: data, signature: signature,
                challenge: challenge ?? ceremony.getChallenges[0], publicKey: key, storedSignCount: stored,
                backupEligible: false)
        }
        var tampered = first.signature
        tampered[tampered.count / 2] ^= 1
        #expect(throws: WebAuthnError.invalidSignature) { try verify(signature: tampered) }
        #expect(throws: WebAuthnError.invalidSignature) {
            try verify(clientData: ceremony.assertions[1].clientData, challenge: ceremony.getChallenges[1])
        }
        #expect(throws: WebAuthnError.counterRegression(stored: 1, presented: 1)) { try verify(stored: 1) }
        #expect(throws: WebAuthnError.clientDataMismatch("challenge")) {
            try verify(challenge: ceremony.getChallenges[1])
        }
        let otherOrigin = WebAuthnRelyingParty(id: "example.com", origins: ["https://login.example.com"])
        #expect(throws: WebAuthnError.clientDataMismatch("origin https://example.com")) {
            try verify(party: otherOrigin)
        }
        let otherRP = WebAuthnRelyingParty(id: "login.example.com", origins: ["https://example.com"])
        #expect(throws: WebAuthnError.authenticatorDataMismatch("RP ID hash")) { try verify(party: otherRP) }
        var noVerification = first.authenticatorData
        noVerification[32] = AuthenticatorData.userPresent
        #expect(throws: WebAuthnError.authenticatorDataMismatch("user not verified")) {
            try verify(data: noVerification)
        }
        #expect(throws: WebAuthnError.clientDataMismatch("type webauthn.create")) {
            _ = try Self.party.verifyAssertion(
                clientData: try ClientData(json: ceremony.registration.clientData),
                authenticatorData: first.authenticatorData,
                signature: first.signature, challenge: ceremony.createChallenge, publicKey: key, storedSignCount: 0,
                backupEligible: false)
        }
        #expect(throws: WebAuthnError.self) { try verify(data: first.authenticatorData + [0]) }
        #expect(throws: WebAuthnError.authenticatorDataMismatch("backup eligibility changed")) {
            _ = try Self.party.verifyAssertion(
                clientData: try ClientData(json: first.clientData), authenticatorData: first.authenticatorData,
                signature: first.signature, challenge: ceremony.getChallenges[0], publicKey: key, storedSignCount: 0,
                backupEligible: true)
        }
    }

    @Test("COSE keys: only ES256 on P-256 and RS256 of 2048+ bits, without private parameters")
    func coseKeys() throws {
        let ceremony = try Self.ceremony("ES256")
        let good = try CBOR.decode(ceremony.registration.cose)
        #expect(throws: Never.self) { try COSEKey(good) }
        guard case .map(let entries) = good else { return }
        func with(_ change: (inout [CBOR.Entry]) -> Void) -> CBOR {
            var copy = entries
            change(&copy)
            return .map(copy)
        }
        let variants: [CBOR] = [
            with { $0.append(.init(key: .negative(3), value: .bytes(RandomInputs.bytes(32)))) },  // d: a private key
            with { $0[$0.firstIndex { $0.key == .unsigned(3) }!].value = .negative(256) },  // alg RS256 on EC2
            with { $0[$0.firstIndex { $0.key == .negative(0) }!].value = .unsigned(2) },  // P-384
            with { $0[$0.firstIndex { $0.key == .negative(1) }!].value = .bytes(RandomInputs.bytes(31)) },
            with { $0[$0.firstIndex { $0.key == .negative(2) }!].value = .bytes([UInt8](repeating: 0, count: 32)) },
            with { $0.removeAll { $0.key == .unsigned(1) } },
            with { $0.append(.init(key: .text("x"), value: .null)) },
            .array([]),
        ]
        for variant in variants {
            #expect(throws: WebAuthnError.self, "\(variant)") { try COSEKey(variant) }
        }
        #expect(throws: Never.self) { try COSEKey(bytes: try Self.ceremony("RS256").registration.cose) }
        let rsa1024: CBOR = .map([
            .init(key: .unsigned(1), value: .unsigned(3)), .init(key: .unsigned(3), value: .negative(256)),
            .init(key: .negative(0), value: .bytes([0xC1] + RandomInputs.bytes(127))),
            .init(key: .negative(1), value: .bytes([1, 0, 1])),
        ])
        #expect(throws: WebAuthnError.self) { try COSEKey(rsa1024) }
    }

    @Test("authenticator data is read whole: flags and the bytes they promise must agree")
    func authenticatorData() throws {
        let ceremony = try Self.ceremony("ES256")
        let object = try CBOR.decode(ceremony.registration.attestation)
        let data = try #require(object[text: "authData"]?.byteString)
        #expect(try AuthenticatorData(bytes: data).attestedCredential?.credentialID == ceremony.credential)
        var noAT = data
        noAT[32] &= ~0x40
        var backedUpOnly = data
        backedUpOnly[32] |= AuthenticatorData.backedUp
        var extensionsFlag = data
        extensionsFlag[32] |= 0x80
        var zeroLength = data
        zeroLength[53] = 0
        zeroLength[54] = 0
        var longID = data
        longID[53] = 0x04
        longID[54] = 0x00
        for bad in [
            noAT, backedUpOnly, extensionsFlag, zeroLength, longID, data + [0xA0, 0x00], Array(data.prefix(36)),
        ] {
            #expect(throws: WebAuthnError.self) { try AuthenticatorData(bytes: bad) }
        }
        var withExtensions = data
        withExtensions[32] |= 0x80
        #expect(try AuthenticatorData(bytes: withExtensions + [0xA0]).attestedCredential != nil)
        // The attestation object: exactly fmt, attStmt and authData; "none" has an empty statement.
        let statement: CBOR = .map([
            .init(key: .text("fmt"), value: .text("none")),
            .init(key: .text("attStmt"), value: .map([.init(key: .text("sig"), value: .bytes([1]))])),
            .init(key: .text("authData"), value: .bytes(data)),
        ])
        #expect(throws: WebAuthnError.self) { try AttestationObject(bytes: Self.encode(statement)) }
        #expect(try AttestationObject(bytes: ceremony.registration.attestation).format == "none")
    }

    /// A small canonical encoder for building test inputs (definite lengths, shortest arguments).
    static func encode(_ item: CBOR) -> [UInt8] {
        func head(_ major: UInt8, _ value: UInt64) -> [UInt8] {
            switch value {
            case 0..<24: return [major << 5 | UInt8(value)]
            case 24..<256: return [major << 5 | 24, UInt8(value)]
            case 256..<65536: return [major << 5 | 25, UInt8(value >> 8), UInt8(value & 0xFF)]
            case 65536..<(1 << 32):
                return [major << 5 | 26] + (0..<4).reversed().map { UInt8(value >> ($0 * 8) & 0xFF) }
            default: return [major << 5 | 27] + (0..<8).reversed().map { UInt8(value >> ($0 * 8) & 0xFF) }
            }
        }
        switch item {
        case .unsigned(let value): return head(0, value)
        case .negative(let value): return head(1, value)
        case .bytes(let value): return head(2, UInt64(value.count)) + value
        case .text(let value): return head(3, UInt64(value.utf8.count)) + Array(value.utf8)
        case .array(let items): return head(4, UInt64(items.count)) + items.flatMap(encode)
        case .map(let entries):
            return head(5, UInt64(entries.count)) + entries.flatMap { encode($0.key) + encode($0.value) }
        case .bool(let value): return [value ? 0xF5 : 0xF4]
        case .null: return [0xF6]
        }
    }

    @Test("the test encoder and the decoder agree")
    func roundTrip() throws {
        let item: CBOR = .map([
            .init(key: .negative(6), value: .array([.unsigned(70_000), .bytes(RandomInputs.bytes(300)), .null])),
            .init(key: .text("k"), value: .bool(true)),
        ])
        #expect(try CBOR.decode(Self.encode(item)) == item)
    }
}
