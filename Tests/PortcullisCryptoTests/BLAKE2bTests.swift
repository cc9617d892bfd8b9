import PortcullisCrypto
import Testing

@Suite("BLAKE2b (RFC 7693)")
struct BLAKE2bTests {
    @Test("RFC 7693 appendix A: BLAKE2b-512(\"abc\")")
    func appendixA() {
        let expected = hex(
            """
            BA 80 A5 3F 98 1C 4D 0D 6A 27 97 B6 9F 12 F6 E9 4C 21 2F 14 68 5A C4 B7 4B 12 BB 6F DB FF A2 D1
            7D 87 C5 39 2A AB 79 2D C2 52 D5 DE 45 33 CC 95 18 D3 8A A8 DB F1 92 5A B9 23 86 ED D4 00 99 23
            """)
        #expect(BLAKE2b.hash(data: utf8("abc")) == expected)
    }

    @Test("empty message")
    func empty() {
        #expect(
            Hex.encode(BLAKE2b.hash(data: [UInt8]()))
                == "786a02f742015903c6c6fd852552d272912f4740e15847618a86e217f71f5419d25e1031afee585313896444934eb04b903a685b1448b755d56f701afe9be2ce"
        )
    }

    @Test("incremental updates at every split point equal the one-shot digest")
    func everySplit() {
        let message = patternMessage(300)
        let whole = BLAKE2b.hash(data: message, digestByteCount: 48)
        for split in stride(from: 0, through: message.count, by: 1) {
            var hasher = BLAKE2b(digestByteCount: 48)
            hasher.update(data: message[..<split])
            hasher.update(data: message[split...])
            #expect(hasher.finalize() == whole, "split at \(split)")
        }
    }
}
