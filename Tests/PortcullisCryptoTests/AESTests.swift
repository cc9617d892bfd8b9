import Testing

@testable import PortcullisCrypto

@Suite("AES-256 for reading LibreChat's encrypted secrets: FIPS 197, then CTR and CBC against cryptography")
struct AESTests {
    @Test("FIPS 197 Appendix C.3")
    func fips197() throws {
        let aes = try AES256(key: hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"))
        let cipher = aes.encrypt(block: hex("00112233445566778899aabbccddeeff"))
        #expect(cipher == hex("8ea2b7ca516745bfeafc49904b496089"))
        #expect(aes.decrypt(block: cipher) == hex("00112233445566778899aabbccddeeff"))
        #expect(throws: AES256.Error.invalidKey) { try AES256(key: [1, 2, 3]) }
    }

    @Test("CTR (with a counter that carries across bytes) and CBC with PKCS#7 agree with cryptography")
    func differential() throws {
        var requests: [[String: Any]] = []
        var cases: [(key: [UInt8], iv: [UInt8], data: [UInt8])] = []
        for size in [0, 1, 15, 16, 17, 33, 100] {
            let key = RandomInputs.bytes(32), data = RandomInputs.bytes(size)
            var iv = RandomInputs.bytes(16)
            if size == 33 { iv.replaceSubrange(12..<16, with: [0xFF, 0xFF, 0xFF, 0xFF]) }  // the increment carries
            cases.append((key, iv, data))
            requests.append(["op": "aes_ctr", "key": Hex.encode(key), "iv": Hex.encode(iv), "data": Hex.encode(data)])
            requests.append([
                "op": "aes_cbc_pkcs7", "key": Hex.encode(key), "iv": Hex.encode(iv), "data": Hex.encode(data),
            ])
        }
        let answers = try Oracle.run(requests)
        for (index, item) in cases.enumerated() {
            let aes = try AES256(key: item.key)
            let ctrText = try #require(answers[2 * index] as? String)
            let ctr = try #require(Hex.decode(ctrText))
            #expect(try aes.ctr(item.data, iv: item.iv) == ctr)
            #expect(try aes.ctr(ctr, iv: item.iv) == item.data)
            let cbcText = try #require(answers[2 * index + 1] as? String)
            let cbc = try #require(Hex.decode(cbcText))
            #expect(try aes.cbcDecrypt(cbc, iv: item.iv) == item.data)
            var tampered = cbc
            tampered[tampered.count - 1] ^= 0xFF
            #expect((try? aes.cbcDecrypt(tampered, iv: item.iv)) != item.data)
        }
    }
}
