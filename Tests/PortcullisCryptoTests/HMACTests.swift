import PortcullisCrypto
import Testing

@Suite("HMAC (RFC 4231)")
struct HMACTests {
    /// RFC 4231 §4.2–4.8: key, data, HMAC-SHA-256, HMAC-SHA-512 (case 5 is compared truncated to 128 bits).
    static let cases: [(key: [UInt8], data: [UInt8], sha256: String, sha512: String, truncate: Bool)] = [
        (
            [UInt8](repeating: 0x0b, count: 20), utf8("Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
            "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854",
            false
        ),
        (
            utf8("Jefe"), utf8("what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
            false
        ),
        (
            [UInt8](repeating: 0xaa, count: 20), [UInt8](repeating: 0xdd, count: 50),
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
            "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb",
            false
        ),
        (
            Array(1...25), [UInt8](repeating: 0xcd, count: 50),
            "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
            "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3dba91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd",
            false
        ),
        (
            [UInt8](repeating: 0x0c, count: 20), utf8("Test With Truncation"),
            "a3b6167473100ee06e0c796c2955552b", "415fad6271580a531d4179bc891d87a6", true
        ),
        (
            [UInt8](repeating: 0xaa, count: 131), utf8("Test Using Larger Than Block-Size Key - Hash Key First"),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
            "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598",
            false
        ),
        (
            [UInt8](repeating: 0xaa, count: 131),
            utf8(
                "This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm."
            ),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
            "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58",
            false
        ),
    ]

    @Test("RFC 4231 test cases 1–7", arguments: 0..<7)
    func rfc4231(index: Int) {
        let c = Self.cases[index]
        let key = SymmetricKey(data: c.key)
        var mac256 = HMAC<SHA256>.authenticationCode(for: c.data, using: key).hexString
        var mac512 = HMAC<SHA512>.authenticationCode(for: c.data, using: key).hexString
        if c.truncate {
            mac256 = String(mac256.prefix(32))
            mac512 = String(mac512.prefix(32))
        }
        #expect(mac256 == c.sha256)
        #expect(mac512 == c.sha512)
    }

    @Test("a keyed HMAC is reusable and incremental updates match one-shot")
    func reuse() {
        let key = SymmetricKey(data: utf8("key"))
        let keyed = HMAC<SHA256>(key: key)
        let message = patternMessage(300)
        let oneShot = keyed.authenticationCode(for: message)
        var incremental = keyed
        incremental.update(data: message[..<17])
        incremental.update(data: message[17...])
        #expect(incremental.finalize() == oneShot)
        #expect(keyed.authenticationCode(for: message) == oneShot)
        #expect(HMAC<SHA256>.isValidAuthenticationCode(oneShot.bytes, authenticating: message, using: key))
    }

    @Test("every single-byte change of the MAC or the message fails validation")
    func tampering() {
        let key = SymmetricKey(data: utf8("secret"))
        let message = utf8("header.payload")
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: key).bytes
        for mutated in singleByteMutations(mac) {
            #expect(!HMAC<SHA256>.isValidAuthenticationCode(mutated, authenticating: message, using: key))
        }
        for mutated in singleByteMutations(message) {
            #expect(!HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: mutated, using: key))
        }
        #expect(!HMAC<SHA256>.isValidAuthenticationCode(mac.dropLast(), authenticating: message, using: key))
    }
}
