// Times one PortcullisCrypto operation on CPU time and prints `<name> <ops per CPU second>`.
// Usage: CryptoBench <operation> [seconds]. Driven by Benchmarks/crypto.py, which runs the peers.
import Glibc
import PortcullisCrypto

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
    print("usage: CryptoBench sha256-64|sha256-1m|hmac-sha256-300|pbkdf2-sha256-600k|bcrypt-10|argon2id-owasp|jwt-hs256 [seconds]")
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
        blackHole(try KDF.PBKDF2.deriveKey(from: Array("password".utf8), salt: salt16, using: .sha256,
                                           outputByteCount: 32, rounds: 600_000))
    }
case "bcrypt-10":
    rate = try measure(seconds: seconds) { blackHole(try Bcrypt.hash(password: Array("password".utf8), cost: 10, salt: salt16)) }
case "argon2id-owasp":
    rate = try measure(seconds: seconds) {
        blackHole(try Argon2.derive(password: Array("password".utf8), salt: salt16, parameters: .owasp))
    }
case "jwt-hs256":
    let signer = HS256Signer(secret: Array("a-jwt-secret-of-reasonable-length".utf8))
    let claims = Claims(id: "65f0c0ffee0123456789abcd", username: "ana", provider: "local",
                        email: "ana@example.com", iat: 1_800_000_000, exp: 1_800_000_900)
    rate = try measure(seconds: seconds) {
        let token = try signer.sign(claims)
        blackHole(try signer.verify(token, as: Claims.self, now: 1_800_000_100))
    }
default:
    print("unknown operation \(operation)")
    exit(2)
}
print("\(operation) \(rate)")
