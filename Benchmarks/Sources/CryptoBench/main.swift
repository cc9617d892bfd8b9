// Times one PortcullisCrypto operation on CPU time and prints `<name> <ops per CPU second>`.
// Usage: CryptoBench <operation> [seconds]. Driven by Benchmarks/crypto.py, which runs the peers.
import Foundation
import Glibc
import PortcullisCrypto
import PortcullisOAuth

func cpuSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

@inline(never)
func blackHole<T>(_ value: T) {
    withUnsafePointer(to: value) { _ = $0 }
}

/// Runs `body` repeatedly for at least `seconds` of CPU time; returns operations per CPU second.
/// Reading the CPU clock is a system call (~0.5 µs), so it is read once per batch, never per operation.
func measure(seconds: Double, _ body: () throws -> Void) rethrows -> Double {
    try body()  // warm-up
    var batch = 1
    var count = 0
    let start = cpuSeconds()
    var elapsed = 0.0
    repeat {
        let batchStart = cpuSeconds()
        for _ in 0..<batch { try body() }
        count += batch
        let now = cpuSeconds()
        elapsed = now - start
        if now - batchStart < 0.005 { batch *= 2 }
    } while elapsed < seconds
    return Double(count) / elapsed
}

/// SHA-256 of `message`, varied by one byte per operation so no iteration repeats the last.
func hashRate(of message: [UInt8], seconds: Double) -> Double {
    var data = message
    var counter: UInt8 = 0
    return measure(seconds: seconds) {
        counter &+= 1
        data[0] = counter
        blackHole(SHA256.hash(data: data))
    }
}

struct Claims: Codable {
    var id: String
    var username: String
    var provider: String
    var email: String
    var iat: Int
    var exp: Int
}

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    print(
        "usage: CryptoBench sha256-64|sha256-1m|hmac-sha256-300|pbkdf2-sha256-600k|bcrypt-10|argon2id-owasp|jwt-hs256|rs256-verify|es256-verify|es256-sign [seconds]"
    )
    exit(2)
}
let operation = arguments[1]
let seconds = arguments.count > 2 ? Double(arguments[2]) ?? 1 : 1
let small = [UInt8](repeating: 0x61, count: 64)
let large = [UInt8](repeating: 0x61, count: 1 << 20)
let message300 = [UInt8](repeating: 0x62, count: 300)
let key = SymmetricKey(data: [UInt8](repeating: 0x0b, count: 32))
let salt16 = [UInt8](repeating: 0x02, count: 16)

let rate: Double
switch operation {
case "sha256-64":
    rate = hashRate(of: small, seconds: seconds)
case "sha256-1m":
    rate = hashRate(of: large, seconds: seconds)
case "hmac-sha256-300":
    // The key's pads are absorbed once, as `openssl speed -hmac` (EVP_MAC_init with the same key) and
    // the JWT signer do; each operation is one 300-byte message.
    let keyed = HMAC<SHA256>(key: key)
    rate = measure(seconds: seconds) { blackHole(keyed.authenticationCode(for: message300)) }
case "pbkdf2-sha256-600k":
    rate = try measure(seconds: seconds) {
        blackHole(
            try KDF.PBKDF2.deriveKey(
                from: Array("password".utf8), salt: salt16, using: .sha256,
                outputByteCount: 32, rounds: 600_000))
    }
case "bcrypt-10":
    rate = try measure(seconds: seconds) {
        blackHole(try Bcrypt.hash(password: Array("password".utf8), cost: 10, salt: salt16))
    }
case "argon2id-owasp":
    rate = try measure(seconds: seconds) {
        blackHole(try Argon2.derive(password: Array("password".utf8), salt: salt16, parameters: .owasp))
    }
case "jwt-hs256":
    let signer = HS256Signer(secret: Array("a-jwt-secret-of-reasonable-length".utf8))
    let claims = Claims(
        id: "65f0c0ffee0123456789abcd", username: "ana", provider: "local",
        email: "ana@example.com", iat: 1_800_000_000, exp: 1_800_000_900)
    rate = try measure(seconds: seconds) {
        let token = try signer.sign(claims)
        blackHole(try signer.verify(token, as: Claims.self, now: 1_800_000_100))
    }
case "rs256-verify":
    // Verification costs one full modular exponentiation whether or not the signature is valid, so an
    // odd 2048-bit modulus of fixed pseudo-random bytes times exactly what a real key costs.
    var generator = UInt64(0x9e37_79b9_7f4a_7c15)
    let modulus = (0..<256).map { index -> UInt8 in
        generator = generator &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return index == 0 ? 0xc0 | UInt8(generator >> 58) : (index == 255 ? 0x01 : UInt8(generator >> 56))
    }
    let publicKey = try RSA.PublicKey(modulus: modulus, exponent: [0x01, 0x00, 0x01])
    let signature = [UInt8](modulus.dropLast()) + [0x00]
    rate = measure(seconds: seconds) { blackHole(publicKey.isValidPKCS1v15SHA256Signature(signature, for: message300)) }
case "es256-verify":
    // NIST's "Example of ECDSA with P-256" key and signature (a valid one: the full path runs).
    let publicKey = try P256.PublicKey(
        x: Hex.decode("B7E08AFDFE94BAD3F1DC8C734798BA1C62B3A0AD1E9EA2A38201CD0889BC7A19")!,
        y: Hex.decode("3603F747959DBF7A4BB226E41928729063ADC7AE43529E61B563BBC606CC5E09")!)
    let signature = try P256.ECDSASignature(
        rawRepresentation: Hex.decode(
            "2B42F576D07F4165FF65D1F3B1500F81E44C316F1F0B3EF57325B69ACA46104F"
                + "DC42C2122D6392CD3E3A993A89502A8198C1886FE69D262C4B329BDB6B63FAF1")!)
    let message = Array("Example of ECDSA with P-256".utf8)
    guard publicKey.isValidSHA256Signature(signature, for: message) else { fatalError("NIST example must verify") }
    rate = measure(seconds: seconds) { blackHole(publicKey.isValidSHA256Signature(signature, for: message)) }
case "totp-verify":
    // The check a 2FA login makes: the code of now, within one step either side.
    let totp = TOTP(secret: Base32.decode("JBSWY3DPEHPK3PXP")!)
    rate = measure(seconds: seconds) {
        let now = Int64(Date().timeIntervalSince1970)
        guard totp.verify(totp.code(step: TOTP.step(at: now)), at: now) != nil else { fatalError("totp") }
    }
case "chacha-seal-64", "chacha-open-64":
    let sealingKey = [UInt8](repeating: 0x07, count: 32)
    let message = [UInt8](repeating: 0x61, count: 64)
    let sealed = try ChaChaPoly.seal(message, key: sealingKey, authenticating: Array("user".utf8))
    if operation == "chacha-seal-64" {
        rate = try measure(seconds: seconds) {
            blackHole(try ChaChaPoly.seal(message, key: sealingKey, authenticating: Array("user".utf8)))
        }
    } else {
        rate = try measure(seconds: seconds) {
            blackHole(try ChaChaPoly.open(sealed, key: sealingKey, authenticating: Array("user".utf8)))
        }
    }
case "oidc-id-token":
    // The fixture (JWKS + token from PyJWT) is written by crypto.py so both sides check the same token.
    let path = ProcessInfo.processInfo.environment["PORTCULLIS_BENCH_FIXTURE"] ?? ""
    let fixture =
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any] ?? [:]
    let keys = try JSONWebKeySet(json: Array(try JSONSerialization.data(withJSONObject: fixture["jwks"] ?? [:])))
    let token = fixture["token"] as? String ?? "", nonce = fixture["nonce"] as? String ?? ""
    let validator = IDTokenValidator(
        issuer: fixture["issuer"] as? String ?? "", clientID: fixture["client_id"] as? String ?? "")
    let now = Int64(Date().timeIntervalSince1970)
    _ = try validator.validate(token, keys: keys, nonce: nonce, now: now)
    rate = try measure(seconds: seconds) {
        blackHole(try validator.validate(token, keys: keys, nonce: nonce, now: now))
    }
case "es256-sign":
    let privateKey = P256.PrivateKey()
    let message = Array("header.payload".utf8)
    rate = measure(seconds: seconds) { blackHole(privateKey.sha256Signature(for: message)) }
case "rs256-sign":
    // An RS256 signature with a 2048-bit key: CRT, constant-time exponentiation, blinding, and the
    // verification every signature gets before it is returned.
    let key = RSA.PrivateKey.generate(bits: 2048)
    let message = Array("header.payload".utf8)
    rate = try measure(seconds: seconds) { blackHole(try key.pkcs1v15SHA256Signature(for: message)) }
case "passkey-es256", "passkey-rs256":
    // The fixture (two registered passkeys and an assertion of each) is written by crypto.py.
    let path = ProcessInfo.processInfo.environment["PORTCULLIS_BENCH_PASSKEYS"] ?? ""
    let fixture =
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any] ?? [:]
    let item = fixture[operation == "passkey-es256" ? "ES256" : "RS256"] as? [String: String] ?? [:]
    func bytes(_ hex: String?) -> [UInt8] { Hex.decode(hex ?? "") ?? [] }
    let party = WebAuthnRelyingParty(
        id: fixture["rp_id"] as? String ?? "", origins: [fixture["origin"] as? String ?? ""])
    let challenge = bytes(fixture["challenge"] as? String)
    let (cose, clientData) = (bytes(item["cose"]), bytes(item["clientDataJSON"]))
    let (authenticatorData, signature) = (bytes(item["authenticatorData"]), bytes(item["signature"]))
    rate = try measure(seconds: seconds) {
        blackHole(
            try party.verifyAssertion(
                clientData: try ClientData(json: clientData), authenticatorData: authenticatorData,
                signature: signature, challenge: challenge, publicKey: try COSEKey(bytes: cose), storedSignCount: 0,
                backupEligible: false))
    }
default:
    print("unknown operation \(operation)")
    exit(2)
}
print("\(operation) \(rate)")
