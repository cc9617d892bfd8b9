/// AES-256 (FIPS 197) with CTR and CBC decryption, **only** to read TOTP secrets that LibreChat
/// encrypted (`encryptV3`: AES-256-CTR; `encryptV2`: AES-256-CBC) when its users are imported: one
/// decryption per imported user, offline or on the admin socket, never on a request path. It is a
/// table implementation and not constant time; nothing Portcullis seals itself uses it (secrets are
/// sealed with ``ChaChaPoly``).
public struct AES256 {
    private let roundKeys: [UInt32]

    /// Why AES input was refused.
    public enum Error: Swift.Error, Equatable {
        case invalidKey
        case invalidInput
        case badPadding
    }

    private static let tables: (sbox: [UInt8], inverse: [UInt8]) = {
        // The S-box from its definition: the multiplicative inverse in GF(2^8), then the affine map.
        func multiply(_ a: UInt8, _ b: UInt8) -> UInt8 {
            var (a, b, product) = (a, b, UInt8(0))
            for _ in 0..<8 {
                if b & 1 != 0 { product ^= a }
                let carry = a & 0x80
                a <<= 1
                if carry != 0 { a ^= 0x1B }
                b >>= 1
            }
            return product
        }
        var sbox = [UInt8](repeating: 0, count: 256)
        var inverse = [UInt8](repeating: 0, count: 256)
        for value in 0..<256 {
            var inv: UInt8 = 0
            if value != 0 {
                for candidate in 1..<256 where multiply(UInt8(value), UInt8(candidate)) == 1 { inv = UInt8(candidate) }
            }
            var s = inv
            for shift in 1...4 { s ^= (inv << UInt8(shift)) | (inv >> UInt8(8 - shift)) }
            s ^= 0x63
            sbox[value] = s
            inverse[Int(s)] = UInt8(value)
        }
        return (sbox, inverse)
    }()

    public init(key: [UInt8]) throws(Error) {
        guard key.count == 32 else { throw .invalidKey }
        let sbox = Self.tables.sbox
        func word(_ bytes: [UInt8]) -> UInt32 {
            var value: UInt32 = 0
            for byte in bytes { value = value << 8 | UInt32(byte) }
            return value
        }
        var words = stride(from: 0, to: 32, by: 4).map { word(Array(key[$0..<$0 + 4])) }
        func subWord(_ w: UInt32) -> UInt32 {
            word([sbox[Int(w >> 24)], sbox[Int((w >> 16) & 0xFF)], sbox[Int((w >> 8) & 0xFF)], sbox[Int(w & 0xFF)]])
        }
        var rcon: UInt32 = 0x0100_0000
        for index in 8..<60 {
            var temp = words[index - 1]
            if index % 8 == 0 {
                temp = subWord((temp << 8) | (temp >> 24)) ^ rcon
                let high = rcon >> 24
                rcon = (high & 0x80 != 0 ? (high << 1) ^ 0x11B : high << 1) << 24
            } else if index % 8 == 4 {
                temp = subWord(temp)
            }
            words.append(words[index - 8] ^ temp)
        }
        roundKeys = words
    }

    private static func xtime(_ b: UInt8) -> UInt8 { (b << 1) ^ (b & 0x80 != 0 ? 0x1B : 0) }
    private static func mul(_ a: UInt8, _ b: UInt8) -> UInt8 {
        var (a, b, product) = (a, b, UInt8(0))
        while b != 0 {
            if b & 1 != 0 { product ^= a }
            a = xtime(a)
            b >>= 1
        }
        return product
    }

    private func addRoundKey(_ state: inout [UInt8], _ round: Int) {
        for column in 0..<4 {
            let word = roundKeys[round * 4 + column]
            state[4 * column] ^= UInt8(word >> 24)
            state[4 * column + 1] ^= UInt8((word >> 16) & 0xFF)
            state[4 * column + 2] ^= UInt8((word >> 8) & 0xFF)
            state[4 * column + 3] ^= UInt8(word & 0xFF)
        }
    }

    /// Encrypts one 16-byte block.
    public func encrypt(block input: [UInt8]) -> [UInt8] {
        let sbox = Self.tables.sbox
        var state = input
        addRoundKey(&state, 0)
        for round in 1...14 {
            for i in 0..<16 { state[i] = sbox[Int(state[i])] }
            var shifted = state
            for column in 0..<4 {
                for row in 0..<4 { shifted[4 * column + row] = state[4 * ((column + row) % 4) + row] }
            }
            state = shifted
            if round != 14 {
                for column in 0..<4 {
                    let a = Array(state[(4 * column)..<(4 * column + 4)])
                    state[4 * column] = Self.xtime(a[0]) ^ (Self.xtime(a[1]) ^ a[1]) ^ a[2] ^ a[3]
                    state[4 * column + 1] = a[0] ^ Self.xtime(a[1]) ^ (Self.xtime(a[2]) ^ a[2]) ^ a[3]
                    state[4 * column + 2] = a[0] ^ a[1] ^ Self.xtime(a[2]) ^ (Self.xtime(a[3]) ^ a[3])
                    state[4 * column + 3] = (Self.xtime(a[0]) ^ a[0]) ^ a[1] ^ a[2] ^ Self.xtime(a[3])
                }
            }
            addRoundKey(&state, round)
        }
        return state
    }

    /// Decrypts one 16-byte block.
    public func decrypt(block input: [UInt8]) -> [UInt8] {
        let inverse = Self.tables.inverse
        var state = input
        addRoundKey(&state, 14)
        for round in stride(from: 13, through: 0, by: -1) {
            var shifted = state
            for column in 0..<4 {
                for row in 0..<4 { shifted[4 * ((column + row) % 4) + row] = state[4 * column + row] }
            }
            state = shifted
            for i in 0..<16 { state[i] = inverse[Int(state[i])] }
            addRoundKey(&state, round)
            if round != 0 {
                for column in 0..<4 {
                    let a = Array(state[(4 * column)..<(4 * column + 4)])
                    state[4 * column] = Self.mul(a[0], 14) ^ Self.mul(a[1], 11) ^ Self.mul(a[2], 13) ^ Self.mul(a[3], 9)
                    state[4 * column + 1] =
                        Self.mul(a[0], 9) ^ Self.mul(a[1], 14) ^ Self.mul(a[2], 11) ^ Self.mul(a[3], 13)
                    state[4 * column + 2] =
                        Self.mul(a[0], 13) ^ Self.mul(a[1], 9) ^ Self.mul(a[2], 14) ^ Self.mul(a[3], 11)
                    state[4 * column + 3] =
                        Self.mul(a[0], 11) ^ Self.mul(a[1], 13) ^ Self.mul(a[2], 9) ^ Self.mul(a[3], 14)
                }
            }
        }
        return state
    }

    /// AES-256-CTR (the 16-byte IV is the initial counter block, incremented as a 128-bit
    /// big-endian number, as Node's `aes-256-ctr`); encryption and decryption are the same.
    public func ctr(_ input: [UInt8], iv: [UInt8]) throws(Error) -> [UInt8] {
        guard iv.count == 16 else { throw .invalidInput }
        var counter = iv
        var out = input
        for start in stride(from: 0, to: input.count, by: 16) {
            let stream = encrypt(block: counter)
            for i in start..<min(start + 16, input.count) { out[i] ^= stream[i - start] }
            var index = 15
            while index >= 0 {
                counter[index] &+= 1
                if counter[index] != 0 { break }
                index -= 1
            }
        }
        return out
    }

    /// AES-256-CBC decryption with PKCS#7 padding removed.
    public func cbcDecrypt(_ input: [UInt8], iv: [UInt8]) throws(Error) -> [UInt8] {
        guard iv.count == 16, !input.isEmpty, input.count % 16 == 0 else { throw .invalidInput }
        var previous = iv
        var out: [UInt8] = []
        for start in stride(from: 0, to: input.count, by: 16) {
            let block = Array(input[start..<start + 16])
            let plain = decrypt(block: block)
            out += zip(plain, previous).map { $0 ^ $1 }
            previous = block
        }
        guard let pad = out.last, (1...16).contains(pad), out.suffix(Int(pad)).allSatisfy({ $0 == pad }) else {
            throw .badPadding
        }
        return Array(out.dropLast(Int(pad)))
    }
}
