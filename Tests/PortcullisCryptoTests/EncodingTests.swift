import PortcullisCrypto
import Testing

@Suite("Encodings and constant-time comparison")
struct EncodingTests {
    @Test(
        "RFC 4648 §10 vectors in both alphabets, unpadded",
        arguments: [
            ("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ])
    func rfc4648(plain: String, encoded: String) {
        #expect(Base64URL.encode(utf8(plain)) == encoded)
        #expect(Base64URL.decode(encoded) == utf8(plain))
        #expect(Base64Alphabet.standard.encode(utf8(plain)) == encoded)
    }

    @Test("url alphabet uses - and _; standard uses + and /")
    func alphabets() {
        #expect(Base64URL.encode([0xfb, 0xff]) == "-_8")
        #expect(Base64Alphabet.standard.encode([0xfb, 0xff]) == "+/8")
        #expect(Base64URL.decode("+/8") == nil)
    }

    @Test(
        "strict decoding refuses padding, bad characters, impossible lengths and non-canonical bits",
        arguments: ["Zg==", "Zm9v=", "Z", "Zm9vY", "Zh", "Zm9", "Zm9vYmF", "Zm 9v", "Zm9v\n", "Zm+v", "é"])
    func strictness(text: String) {
        // "Zh" and "Zm9" carry non-zero unused bits; "Zm9vYmF" has 7 characters (length mod 4 == 3 is
        // allowed, but its final bits are non-zero).
        #expect(Base64URL.decode(text) == nil)
    }

    @Test("random round trips")
    func randomRoundTrips() {
        for length in 0..<70 {
            let bytes = SecureRandom.bytes(count: length)
            #expect(Base64URL.decode(Base64URL.encode(bytes)) == bytes)
            #expect(Base64Alphabet.standard.decode(Base64Alphabet.standard.encode(bytes)) == bytes)
            #expect(Base64Alphabet.bcrypt.decode(Base64Alphabet.bcrypt.encode(bytes)) == bytes)
        }
    }

    @Test("constant-time equality")
    func constantTime() {
        #expect(ConstantTime.equals([UInt8](), [UInt8]()))
        #expect(ConstantTime.equals(utf8("abc"), utf8("abc")))
        #expect(!ConstantTime.equals(utf8("abc"), utf8("abd")))
        #expect(!ConstantTime.equals(utf8("abc"), utf8("ab")))
        for index in 0..<32 {
            var other = [UInt8](repeating: 7, count: 32)
            other[index] = 8
            #expect(!ConstantTime.equals([UInt8](repeating: 7, count: 32), other))
        }
    }

    @Test("the CSPRNG returns distinct, full-length output")
    func randomness() {
        let a = SecureRandom.bytes(count: 32)
        let b = SecureRandom.bytes(count: 32)
        #expect(a.count == 32 && b.count == 32)
        #expect(a != b)
        #expect(SecureRandom.bytes(count: 0).isEmpty)
        // 4096 random bytes should use nearly every byte value.
        #expect(Set(SecureRandom.bytes(count: 4096)).count > 240)
    }

    @Test("hex round trip and rejection")
    func hexCodec() {
        #expect(Hex.encode([0x00, 0xab, 0xff]) == "00abff")
        #expect(Hex.decode("00ABff") == [0x00, 0xab, 0xff])
        #expect(Hex.decode("0") == nil)
        #expect(Hex.decode("zz") == nil)
    }
}
