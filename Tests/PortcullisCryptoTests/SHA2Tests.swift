import PortcullisCrypto
import Testing

@Suite("SHA-2 (FIPS 180-4)")
struct SHA2Tests {
    @Test(
        "NIST examples for SHA-256",
        arguments: [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            (
                "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
            ),
        ])
    func sha256Examples(message: String, expected: String) {
        #expect(SHA256.hash(data: utf8(message)).hexString == expected)
    }

    @Test(
        "NIST examples for SHA-512",
        arguments: [
            (
                "",
                "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"
            ),
            (
                "abc",
                "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
            ),
            (
                "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
                "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909"
            ),
        ])
    func sha512Examples(message: String, expected: String) {
        #expect(SHA512.hash(data: utf8(message)).hexString == expected)
    }

    @Test("one million 'a' (FIPS 180-2 appendix), fed in uneven pieces")
    func millionA() {
        var sha256 = SHA256()
        var sha512 = SHA512()
        let piece = [UInt8](repeating: UInt8(ascii: "a"), count: 997)
        var fed = 0
        while fed < 1_000_000 {
            let take = min(piece.count, 1_000_000 - fed)
            sha256.update(data: piece[0..<take])
            sha512.update(data: piece[0..<take])
            fed += take
        }
        #expect(sha256.finalize().hexString == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        #expect(
            sha512.finalize().hexString
                == "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973ebde0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b"
        )
    }

    /// Lengths around the padding boundaries (55/56 and 111/112 bytes decide whether the length fits
    /// in the last block); expected values from OpenSSL via Python's hashlib.
    @Test(
        "block boundary lengths",
        arguments: [
            (
                55, "e7313d333c272e639f790978283f9eb392e843d0f29b7016828bb1daa4aac70b",
                "14fd424b1fcadee624da946ab03f7e1def7c0d6e00f689594319881a26ff30b875ba4c622ac13100c8cc784c9c2eb23159aecbb4a02e3999062f551193e2b256"
            ),
            (
                56, "4324d65f3c103567f5589c710bc08f8523f929a9272e3af36fc968e52abc6c27",
                "480fa85be41ef55a41208ca28ffc8743c91cf7d24758defe6f95bfb16de614fc86b701034896b047dd571de4318853d80e0809df162f1752cb26da6ddb94a0dd"
            ),
            (
                63, "81c80242132f230c3bd41b3e63bbcff16107339549214a99614ff26664625055",
                "ecd42a703a4e93e163d60d55e3785b1a763838b0351bc2e6f7c94b4bfb24f9aa15da5d744ebcebe11f0fc4315d45ba3a047b6e60e07448357f2795bf34b73502"
            ),
            (
                64, "39e3d7b6b5d075d37d053ad89b24b41bef4f3c29760c84447cab3f3be1882241",
                "8f3cc30b3fb5bf963688a46488249248ac2c67f0f85a145233c6c1e3c16dcd1df634c07d1d31da02576f65b9cf64e1c3fdb318b689b8a14e2e9552bcf30fb133"
            ),
            (
                65, "aacca6ff74fdbb296d165a45cecfa04e5127bc008770fbbdd48006f2d2fae95e",
                "22050d1b2c5bd016c4b04c3e84f513ffbbbc057f83dc9ab196fee6684e5ee19d98b84c6538b3c5e1fc67dbc484e9d0a198254e41d0fa0cf5106991e106632419"
            ),
            (
                111, "67d9492e628fd376e0b2efec8ca2b99b123e202cf620deb270728df979b2f73e",
                "68cffa6d0d76f309c9ce0d35280939f8e25990c43b7b086ccdf709be35b07d4ddba599541ff2b1c19d34ea49aeafb9659adb7ac3c0b078bb30a22d57fc6687ef"
            ),
            (
                112, "96b928cff8528dbb99602c709a65b846cb6467acb8b722f0d758e4dc27bfc508",
                "d0865c524d1dddf7c23b799c413f5adcd7caefd3f66a9b49750ec81066012c25a8bcf94ddea6dc525691673097ca40e0101e897fc97218cfdb0704084e2bef4b"
            ),
            (
                127, "a8d23e75d936f303d248888d9b165ee543f4cbafcad3c9dd2a79bd84faa11d07",
                "e0b6a20f1c0c88970a9340152cd5a1c1ecf3d3b8de55102741879438079473540133b812706e5dbec322c8c9523b6fc8c6d16ee626e87ad5fe3d2916afedc369"
            ),
            (
                128, "d2742f1f4ac6bb7ca2b239ee18402ba8b3f9f8e652d2a72973c2b9ba11c08cf6",
                "99b16f17aa0b969a5b8f08f367719d516e330ccd2660b6f0688ec031dbc783de50a1cd185a2568dba75070a2403d17d4741d163578515dfd2ff756ddfe4d47b1"
            ),
            (
                129, "307f8fc2c1622b92762e818d39a185d4d667ad49a4b07ceae1f4afa008a93ec4",
                "a1556e29185778aa5991e34b8884c840d589f0fbb4b8ed590e51e9ac4eb03a008125000db2671f8fe7f485b59a77b518670078ecb41a54b4cd02a7f1d2ca4c6d"
            ),
        ])
    func boundaries(length: Int, sha256: String, sha512: String) {
        let message = patternMessage(length)
        #expect(SHA256.hash(data: message).hexString == sha256)
        #expect(SHA512.hash(data: message).hexString == sha512)
    }

    @Test("incremental updates at every split point equal the one-shot digest")
    func everySplit() {
        let message = patternMessage(200)
        let whole256 = SHA256.hash(data: message)
        let whole512 = SHA512.hash(data: message)
        for split in 0...message.count {
            var a = SHA256()
            a.update(data: message[..<split])
            a.update(data: message[split...])
            #expect(a.finalize() == whole256, "split at \(split)")
            var b = SHA512()
            b.update(data: message[..<split])
            b.update(data: message[split...])
            #expect(b.finalize() == whole512, "split at \(split)")
        }
    }

    @Test("a copied hasher forks its state")
    func copyForks() {
        var base = SHA256()
        base.update(data: utf8("prefix-"))
        var left = base
        var right = base
        left.update(data: utf8("left"))
        right.update(data: utf8("right"))
        #expect(left.finalize() == SHA256.hash(data: utf8("prefix-left")))
        #expect(right.finalize() == SHA256.hash(data: utf8("prefix-right")))
    }
}
