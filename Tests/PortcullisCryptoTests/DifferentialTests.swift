import Foundation
import PortcullisCrypto
import Testing

/// Our primitives against independent implementations on random inputs (see `Oracle`).
@Suite("Differential: hashlib/OpenSSL, Python bcrypt, argon2-cffi, PyJWT")
struct DifferentialTests {
    @Test("SHA-256, SHA-512, BLAKE2b and HMAC agree with hashlib on random inputs")
    func digests() throws {
        var requests: [[String: Any]] = []
        var ours: [String] = []
        for message in RandomInputs.messages {
            let data = Hex.encode(message)
            requests.append(["op": "sha256", "data": data])
            ours.append(SHA256.hash(data: message).hexString)
            requests.append(["op": "sha512", "data": data])
            ours.append(SHA512.hash(data: message).hexString)
            let size = Int.random(in: 1...64)
            requests.append(["op": "blake2b", "data": data, "size": size])
            ours.append(Hex.encode(BLAKE2b.hash(data: message, digestByteCount: size)))
            let key = RandomInputs.bytes(Int.random(in: 0...200))
            requests.append(["op": "hmac", "hash": "sha256", "key": Hex.encode(key), "data": data])
            ours.append(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key)).hexString)
            requests.append(["op": "hmac", "hash": "sha512", "key": Hex.encode(key), "data": data])
            ours.append(HMAC<SHA512>.authenticationCode(for: message, using: SymmetricKey(data: key)).hexString)
        }
        let answers = try Oracle.run(requests)
        for (index, answer) in answers.enumerated() {
            let op = requests[index]["op"] as? String ?? "?"
            #expect(answer as? String == ours[index], "request \(op) #\(index)")
        }
    }

    @Test("PBKDF2-SHA256/512 agrees with hashlib")
    func pbkdf2() throws {
        var requests: [[String: Any]] = []
        var ours: [String] = []
        for password in RandomInputs.passwords {
            for (hash, name) in [(KDF.PBKDF2.HashFunction.sha256, "sha256"), (.sha512, "sha512")] {
                let salt = RandomInputs.bytes(Int.random(in: 0...40))
                let rounds = Int.random(in: 1...300)
                let length = Int.random(in: 1...150)
                requests.append([
                    "op": "pbkdf2", "hash": name, "password": Hex.encode(password),
                    "salt": Hex.encode(salt), "rounds": rounds, "length": length,
                ])
                ours.append(
                    Hex.encode(
                        try KDF.PBKDF2.deriveKey(
                            from: password, salt: salt, using: hash,
                            outputByteCount: length, rounds: rounds)))
            }
        }
        let answers = try Oracle.run(requests)
        for (index, answer) in answers.enumerated() {
            #expect(answer as? String == ours[index], "request #\(index)")
        }
    }

    @Test("bcrypt: same salt gives the same hash; each side verifies the other's")
    func bcrypt() throws {
        let passwords = RandomInputs.passwords
        var requests: [[String: Any]] = []
        var ourHashes: [String] = []
        for password in passwords {
            let ours = try Bcrypt.hash(password: password, cost: 4)
            ourHashes.append(ours)
            requests.append(["op": "bcrypt_hash", "password": Hex.encode(password), "salt": String(ours.prefix(29))])
            requests.append(["op": "bcrypt_check", "password": Hex.encode(password), "hash": ours])
            requests.append(["op": "bcrypt_new", "password": Hex.encode(password), "cost": 4])
        }
        let answers = try Oracle.run(requests)
        for (index, password) in passwords.enumerated() {
            #expect(answers[3 * index] as? String == ourHashes[index], "same salt, password #\(index)")
            #expect(answers[3 * index + 1] as? Bool == true, "Python bcrypt rejected our hash #\(index)")
            let theirs = try #require(answers[3 * index + 2] as? String)
            #expect(try Bcrypt.verify(password: password, hash: theirs), "we rejected Python's hash #\(index)")
            var wrong = password
            wrong.append(0x21)
            if password.count < 72 {
                #expect(try !Bcrypt.verify(password: wrong, hash: theirs))
            }
        }
    }

    @Test("Argon2 d/i/id raw tags and PHC strings agree with argon2-cffi")
    func argon2() throws {
        var requests: [[String: Any]] = []
        var ours: [String] = []
        var cases: [(variant: Argon2.Variant, password: [UInt8], salt: [UInt8], parameters: Argon2.Parameters)] = []
        for (index, password) in RandomInputs.passwords.enumerated() {
            let variant = Argon2.Variant.allCases[index % 3]
            let p = Int.random(in: 1...3)
            let parameters = Argon2.Parameters(
                memoryKiB: Int.random(in: 8 * p...200), iterations: Int.random(in: 1...3), parallelism: p,
                hashLength: [4, 16, 32, 64, 65, 100][index % 6])
            let salt = RandomInputs.bytes(Int.random(in: 8...32))
            cases.append((variant, password, salt, parameters))
            requests.append([
                "op": "argon2_raw", "variant": variant.rawValue, "password": Hex.encode(password),
                "salt": Hex.encode(salt), "t": parameters.iterations, "m": parameters.memoryKiB,
                "p": parameters.parallelism, "length": parameters.hashLength,
            ])
            ours.append(
                Hex.encode(try Argon2.derive(password: password, salt: salt, parameters: parameters, variant: variant)))
            requests.append([
                "op": "argon2_phc", "variant": variant.rawValue, "password": Hex.encode(password),
                "salt": Hex.encode(salt), "t": parameters.iterations, "m": parameters.memoryKiB,
                "p": parameters.parallelism, "length": parameters.hashLength,
            ])
            let ourPHC = try Argon2.hash(password: password, parameters: parameters, variant: variant)
            requests.append([
                "op": "argon2_verify", "variant": variant.rawValue, "password": Hex.encode(password), "hash": ourPHC,
            ])
        }
        let answers = try Oracle.run(requests)
        for (index, item) in cases.enumerated() {
            #expect(
                answers[3 * index] as? String == ours[index], "raw tag #\(index) \(item.variant) \(item.parameters)")
            let theirPHC = try #require(answers[3 * index + 1] as? String)
            #expect(try Argon2.verify(password: item.password, hash: theirPHC), "we rejected \(theirPHC)")
            #expect(try !Argon2.verify(password: item.password + [1], hash: theirPHC))
            #expect(answers[3 * index + 2] as? Bool == true, "argon2-cffi rejected our PHC string #\(index)")
        }
    }

    struct Claims: Codable, Equatable {
        var id: String
        var email: String
        var iat: Int
        var exp: Int
    }

    @Test("JWT: PyJWT accepts our tokens, we accept PyJWT's, and refuse its HS512 and none tokens")
    func jwt() throws {
        let secret = RandomInputs.bytes(32)
        let signer = HS256Signer(secret: secret)
        let now = Int(Date.now.timeIntervalSince1970)
        let claims = Claims(id: "65f0c0ffee0123456789abcd", email: "ünï@example.com", iat: now, exp: now + 900)
        let ourToken = try signer.sign(claims)
        let claimsJSON: [String: Any] = ["id": claims.id, "email": claims.email, "iat": claims.iat, "exp": claims.exp]
        let answers = try Oracle.run([
            ["op": "jwt_decode", "token": ourToken, "secret": Hex.encode(secret)],
            ["op": "jwt_encode", "claims": claimsJSON, "secret": Hex.encode(secret)],
            ["op": "jwt_encode", "claims": claimsJSON, "secret": Hex.encode(secret), "alg": "HS512"],
            ["op": "jwt_encode", "claims": claimsJSON, "secret": Hex.encode(secret), "alg": "none"],
            ["op": "jwt_decode", "token": ourToken, "secret": Hex.encode(RandomInputs.bytes(32))],
        ])
        let decoded = try #require((answers[0] as? [String: Any])?["claims"] as? [String: Any])
        #expect(decoded["id"] as? String == claims.id)
        #expect(decoded["email"] as? String == claims.email)
        #expect(decoded["exp"] as? Int == claims.exp)
        #expect(try signer.verify(try #require(answers[1] as? String), as: Claims.self) == claims)
        #expect(throws: JWTError.algorithmMismatch(expected: "HS256", found: "HS512")) {
            try signer.verify(answers[2] as? String ?? "", as: Claims.self)
        }
        #expect(throws: JWTError.self) { try signer.verify(answers[3] as? String ?? "", as: Claims.self) }
        #expect((answers[4] as? [String: Any])?["error"] as? String == "InvalidSignatureError")
    }
}
