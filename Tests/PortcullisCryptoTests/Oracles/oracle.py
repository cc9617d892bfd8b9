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
    if op == "cbor_random":
        import random
        import cbor2
        rng = random.Random(r["seed"])
        out = []
        for _ in range(r["count"]):
            value, _ = cbor_random(rng)
            encoded = cbor2.dumps(value, canonical=True)
            # Described as cbor2 reads its own encoding back: maps in their canonical (encoded) order.
            out.append([encoded.hex(), cbor_describe(cbor2.loads(encoded))])
        return out
    if op == "jwt_rs256_verify":
        try:
            return jwt.decode(r["token"], r["public_pem"], algorithms=["RS256"], options={"verify_aud": False})
        except jwt.PyJWTError:
            return None
    if op == "jwt_verify_jwk":
        # A token checked with a published JWK, as a relying party does with a provider's JWKS.
        try:
            key = jwt.PyJWK(r["jwk"])
            header = jwt.get_unverified_header(r["token"])
            if header.get("kid") != r["jwk"]["kid"]:
                return None
            return jwt.decode(r["token"], key.key, algorithms=[r["jwk"]["alg"]], options={"verify_aud": False})
        except jwt.PyJWTError:
            return None
    if op == "webauthn":
        return webauthn(r)
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


def cbor_random(rng, depth=0):
    """A random item of the CBOR subset WebAuthn uses, and its description: [kind, value]."""
    kinds = ["u", "n", "b", "t", "bool", "null"] + (["a", "m"] if depth < 4 else [])
    kind = rng.choice(kinds)
    if kind == "u":
        value = rng.choice([0, 23, 24, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**64 - 1, rng.randrange(2**64)])
        return value, ["u", str(value)]
    if kind == "n":
        magnitude = rng.choice([0, 23, 24, 255, 256, 2**32, 2**64 - 1, rng.randrange(2**64)])
        return -1 - magnitude, ["n", str(magnitude)]
    if kind == "b":
        data = bytes(rng.randrange(256) for _ in range(rng.choice([0, 1, 23, 24, 300])))
        return data, ["b", data.hex()]
    if kind == "t":
        text = "".join(rng.choice("aé€😀-_ ") for _ in range(rng.choice([0, 1, 30])))
        return text, ["t", text]
    if kind == "bool":
        value = rng.choice([True, False])
        return value, ["bool", value]
    if kind == "null":
        return None, ["null"]
    if kind == "a":
        items = [cbor_random(rng, depth + 1) for _ in range(rng.randrange(5))]
        return [i[0] for i in items], ["a", [i[1] for i in items]]
    entries, described, seen = {}, [], set()
    for _ in range(rng.randrange(5)):
        key = rng.choice([rng.randrange(-30, 30), "k" + str(rng.randrange(30))])
        if key in seen:
            continue
        seen.add(key)
        value, description = cbor_random(rng, depth + 1)
        entries[key] = value
        key_description = ["t", key] if isinstance(key, str) else (["u", str(key)] if key >= 0 else ["n", str(-1 - key)])
        described.append([key_description, description])
    return entries, ["m", described]


def cbor_describe(value):
    if isinstance(value, bool):
        return ["bool", value]
    if value is None:
        return ["null"]
    if isinstance(value, int):
        return ["u", str(value)] if value >= 0 else ["n", str(-1 - value)]
    if isinstance(value, bytes):
        return ["b", value.hex()]
    if isinstance(value, str):
        return ["t", value]
    if isinstance(value, list):
        return ["a", [cbor_describe(v) for v in value]]
    return ["m", [[cbor_describe(k), cbor_describe(v)] for k, v in value.items()]]


def webauthn(r):
    """A registration and assertions made as an authenticator and browser would, with `cryptography`."""
    import cbor2
    import struct
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    if r["alg"] == "ES256":
        key = ec.generate_private_key(ec.SECP256R1())
        numbers = key.public_key().public_numbers()
        cose = {1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")}
        sign = lambda m: key.sign(m, ec.ECDSA(hashes.SHA256()))
    else:
        key = rsa.generate_private_key(65537, r.get("bits", 2048))
        numbers = key.public_key().public_numbers()
        cose = {1: 3, 3: -257, -1: numbers.n.to_bytes(numbers.n.bit_length() // 8, "big"), -2: numbers.e.to_bytes(3, "big")}
        sign = lambda m: key.sign(m, padding.PKCS1v15(), hashes.SHA256())
    credential = bytes.fromhex(r["credential"])
    rp_hash = hashlib.sha256(r["rp_id"].encode()).digest()
    import base64

    def client(kind, challenge):
        encoded = base64.urlsafe_b64encode(bytes.fromhex(challenge)).rstrip(b"=").decode()
        return json.dumps({"type": kind, "challenge": encoded, "origin": r["origin"], "crossOrigin": False}).encode()

    data = rp_hash + bytes([0x45]) + struct.pack(">I", 0) + bytes(16) + struct.pack(">H", len(credential))
    data += credential + cbor2.dumps(cose, canonical=True)
    registration = {"clientDataJSON": client("webauthn.create", r["create"]).hex(),
                    "attestationObject": cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": data}, canonical=True).hex(),
                    "cose": cbor2.dumps(cose, canonical=True).hex()}
    assertions = []
    for count, challenge in enumerate(r["get"], start=1):
        client_data = client("webauthn.get", challenge)
        auth = rp_hash + bytes([0x05]) + struct.pack(">I", count)
        assertions.append({"clientDataJSON": client_data.hex(), "authenticatorData": auth.hex(),
                           "signature": sign(auth + hashlib.sha256(client_data).digest()).hex()})
    return {"registration": registration, "assertions": assertions}


def main():
    # PyJWT warns about short HS512 keys; the tests use them on purpose.
    warnings.simplefilter("ignore")
    requests = json.load(sys.stdin)
    json.dump([answer(r) for r in requests], sys.stdout)


if __name__ == "__main__":
    main()
