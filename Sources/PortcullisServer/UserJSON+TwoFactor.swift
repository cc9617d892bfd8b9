import Foundation
import PortcullisCore
import PortcullisCrypto

/// Second factors in the mongoexport shape: LibreChat's `totpSecret` and `backupCodes` on import,
/// our sealed form on export (so an export imports back into the same deployment unchanged).
extension UserJSON {
    /// A second factor read from a document: the secret (sealed for us, or in clear to be sealed)
    /// and the backup codes.
    struct ImportedSecondFactor {
        enum Secret {
            case plain([UInt8])
            case sealed([UInt8])
        }
        var secret: Secret
        var backupCodes: [BackupCode]
    }

    static let sealedPrefix = "pc1:"

    /// LibreChat's stored TOTP secret: `v3:<iv hex>:<cipher hex>` (AES-256-CTR under the hex
    /// `CREDS_KEY`), the legacy `<iv hex>:<cipher hex>` (AES-256-CBC), or the plain Base32 secret;
    /// ours as `pc1:<base64url>` (already sealed). `nil` when it cannot be read with `credsKey`.
    static func secondFactorSecret(_ stored: String, credsKey: [UInt8]?) -> ImportedSecondFactor.Secret? {
        if stored.hasPrefix(sealedPrefix) {
            return Base64URL.decode(stored.dropFirst(sealedPrefix.count)).map { .sealed($0) }
        }
        let parts = stored.split(separator: ":", omittingEmptySubsequences: false)
        func decrypted(_ bytes: [UInt8]?) -> ImportedSecondFactor.Secret? {
            guard let bytes, let text = String(validating: bytes, as: UTF8.self), let secret = Base32.decode(text),
                !secret.isEmpty
            else { return nil }
            return .plain(secret)
        }
        if parts.count == 3, parts[0] == "v3" {
            guard let key = credsKey, let aes = try? AES256(key: key), let iv = Hex.decode(parts[1]),
                let cipher = Hex.decode(parts[2])
            else { return nil }
            return decrypted(try? aes.ctr(cipher, iv: iv))
        }
        if parts.count == 2, parts[0].utf8.count == 32 {
            guard let key = credsKey, let aes = try? AES256(key: key), let iv = Hex.decode(parts[0]),
                let cipher = Hex.decode(parts[1])
            else { return nil }
            return decrypted(try? aes.cbcDecrypt(cipher, iv: iv))
        }
        guard stored.utf8.count == 16, let secret = Base32.decode(stored) else { return nil }
        return .plain(secret)
    }

    /// The document's second factor, if it has 2FA on; a 2FA user whose secret cannot be read is
    /// refused (importing them without it would let the password alone sign in).
    static func importedSecondFactor(
        _ object: [String: Any], credsKey: [UInt8]?
    ) throws(ImportError) -> ImportedSecondFactor? {
        guard object["twoFactorEnabled"] as? Bool == true else { return nil }
        guard let stored = object["totpSecret"] as? String, stored.utf8.count <= 1024,
            let secret = secondFactorSecret(stored, credsKey: credsKey)
        else {
            throw .invalid(
                "2FA is on but totpSecret cannot be read (pass the old deployment's CREDS_KEY with --creds-key)")
        }
        let codes = (object["backupCodes"] as? [[String: Any]] ?? []).prefix(64).compactMap { code -> BackupCode? in
            guard let hash = code["codeHash"] as? String, hash.utf8.count == 64 else { return nil }
            let used = code["used"] as? Bool ?? false
            return BackupCode(hash: hash.lowercased(), usedAt: used ? (date(code["usedAt"]) ?? 0) : nil)
        }
        return ImportedSecondFactor(secret: secret, backupCodes: codes)
    }

    /// What an export writes for a user with 2FA on.
    static func exportedSecondFactor(_ record: TwoFactorRecord) -> [String: Any] {
        var object: [String: Any] = [
            "backupCodes": record.backupCodes.map { code -> [String: Any] in
                [
                    "codeHash": code.hash, "used": code.usedAt != nil,
                    "usedAt": code.usedAt.map { ["$date": isoDate($0)] } ?? NSNull(),
                ]
            }
        ]
        if let sealed = record.sealedSecret { object["totpSecret"] = sealedPrefix + Base64URL.encode(sealed) }
        return object
    }
}
