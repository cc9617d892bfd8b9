#!/usr/bin/env python3
"""Independent implementations for differential tests.

Reads one JSON array of requests on stdin and writes one JSON array of answers. Bytes travel as hex.
The implementations are OpenSSL (through hashlib/hmac), Python `bcrypt`, `argon2-cffi` (the reference
C code), PyJWT (with `cryptography` for RS256/ES256), `pyotp` and `cryptography`'s ChaCha20-Poly1305."""
import hashlib
import hmac
import json
import sys
import warnings

import argon2
import argon2.low_level
import bcrypt
import jwt

ARGON2_TYPES = {"argon2d": argon2.low_level.Type.D, "argon2i": argon2.low_level.Type.I,
                "argon2id": argon2.low_level.Type.ID}


def b(value):
    return bytes.fromhex(value)


def answer(r):
    op = r["op"]
    if op == "sha256":
        return hashlib.sha256(b(r["data"])).hexdigest()
    if op == "sha1":
        return hashlib.sha1(b(r["data"])).hexdigest()
    if op == "totp":
        import pyotp
        return pyotp.TOTP(r["secret"]).at(r["time"])
    if op == "chacha_seal":
        from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
        return ChaCha20Poly1305(b(r["key"])).encrypt(b(r["nonce"]), b(r["plaintext"]), b(r["aad"])).hex()
    if op == "chacha_open":
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
        try:
            return ChaCha20Poly1305(b(r["key"])).decrypt(b(r["nonce"]), b(r["sealed"]), b(r["aad"])).hex()
        except InvalidTag:
            return None
    if op == "aes_ctr":
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
        encryptor = Cipher(algorithms.AES(b(r["key"])), modes.CTR(b(r["iv"]))).encryptor()
        return (encryptor.update(b(r["data"])) + encryptor.finalize()).hex()
    if op == "aes_cbc_pkcs7":
        from cryptography.hazmat.primitives import padding
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
        padder = padding.PKCS7(128).padder()
        padded = padder.update(b(r["data"])) + padder.finalize()
        encryptor = Cipher(algorithms.AES(b(r["key"])), modes.CBC(b(r["iv"]))).encryptor()
        return (encryptor.update(padded) + encryptor.finalize()).hex()
    if op == "sha512":
        return hashlib.sha512(b(r["data"])).hexdigest()
    if op == "blake2b":
        return hashlib.blake2b(b(r["data"]), digest_size=r["size"]).hexdigest()
    if op == "hmac":
        return hmac.new(b(r["key"]), b(r["data"]), r["hash"]).hexdigest()
    if op == "pbkdf2":
        return hashlib.pbkdf2_hmac(r["hash"], b(r["password"]), b(r["salt"]), r["rounds"], r["length"]).hex()
    if op == "bcrypt_hash":
        # bcrypt 5 raises on passwords over 72 bytes; bcryptjs and OpenBSD truncate, so truncate here.
        return bcrypt.hashpw(b(r["password"])[:72], r["salt"].encode()).decode()
    if op == "bcrypt_new":
        return bcrypt.hashpw(b(r["password"])[:72], bcrypt.gensalt(r["cost"])).decode()
    if op == "bcrypt_check":
        return bcrypt.checkpw(b(r["password"])[:72], r["hash"].encode())
    if op == "argon2_raw":
        return argon2.low_level.hash_secret_raw(
            b(r["password"]), b(r["salt"]), time_cost=r["t"], memory_cost=r["m"], parallelism=r["p"],
            hash_len=r["length"], type=ARGON2_TYPES[r["variant"]], version=19).hex()
    if op == "argon2_phc":
        return argon2.low_level.hash_secret(
            b(r["password"]), b(r["salt"]), time_cost=r["t"], memory_cost=r["m"], parallelism=r["p"],
            hash_len=r["length"], type=ARGON2_TYPES[r["variant"]], version=19).decode()
    if op == "argon2_verify":
        try:
            return argon2.low_level.verify_secret(r["hash"].encode(), b(r["password"]), ARGON2_TYPES[r["variant"]])
        except argon2.exceptions.VerificationError:
            return False
    if op == "jwt_encode":
        algorithm = r.get("alg", "HS256")
        return jwt.encode(r["claims"], None if algorithm == "none" else b(r["secret"]), algorithm=algorithm)
    if op == "jwt_encode_asymmetric":
        # RS256/ES256 through PyJWT's `cryptography` backend, with the private key as PEM text.
        return jwt.encode(r["claims"], r["pem"], algorithm=r["alg"], headers=r.get("headers"))
    if op == "jwt_decode_asymmetric":
        try:
            return {"claims": jwt.decode(r["token"], r["pem"], algorithms=[r["alg"]])}
        except jwt.PyJWTError as error:
            return {"error": type(error).__name__}
    if op == "jwks_with_tokens":
        # Keys made by `cryptography`, published as a JWKS by PyJWT, each signing one token.
        from cryptography.hazmat.primitives.asymmetric import ec, rsa
        rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        ec_key = ec.generate_private_key(ec.SECP256R1())
        rsa_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key.public_key()))
        ec_jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(ec_key.public_key()))
        rsa_jwk.update({"kid": "rsa-1", "use": "sig", "alg": "RS256"})
        ec_jwk.update({"kid": "ec-1", "use": "sig"})
        extra = r.get("extra", [])
        return {
            "jwks": json.dumps({"keys": extra + [rsa_jwk, ec_jwk]}),
            "rs256": jwt.encode(r["claims"], rsa_key, algorithm="RS256", headers={"kid": "rsa-1"}),
            "es256": jwt.encode(r["claims"], ec_key, algorithm="ES256", headers={"kid": "ec-1"}),
        }
    if op == "jwt_decode":
        try:
            return {"claims": jwt.decode(r["token"], b(r["secret"]), algorithms=["HS256"])}
        except jwt.PyJWTError as error:
            return {"error": type(error).__name__}
    raise ValueError(f"unknown op {op}")


def main():
    # PyJWT warns about short HS512 keys; the tests use them on purpose.
    warnings.simplefilter("ignore")
    requests = json.load(sys.stdin)
    json.dump([answer(r) for r in requests], sys.stdout)


if __name__ == "__main__":
    main()
