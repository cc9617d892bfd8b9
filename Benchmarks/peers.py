#!/usr/bin/env python3
"""The reference implementations timed against CryptoBench: prints `<operation> <ops per CPU second>`.
Run under the same OPENSSL_ia32cap as the comparison wants (crypto.py sets it)."""
import hashlib
import hmac
import json
import os
import sys
import time

import argon2.low_level
import bcrypt
import jwt

SALT = b"\x02" * 16


def measure(seconds, body):
    body()
    count, batch = 0, 1
    start = time.process_time()
    while True:
        batch_start = time.process_time()
        for _ in range(batch):
            body()
        count += batch
        now = time.process_time()
        if now - start >= seconds:
            return count / (now - start)
        if now - batch_start < 0.005:
            batch *= 2


def make_id_token_fixture(path):
    """An RSA-2048 provider key (as a JWKS) and an id_token it signed, shared by both sides."""
    from cryptography.hazmat.primitives.asymmetric import rsa
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    public.update(kid="bench-key", alg="RS256", use="sig")
    now = int(time.time())
    claims = {"iss": "https://idp.example.com", "sub": "248289761001", "aud": "portcullis-client", "iat": now,
              "exp": now + 86400, "nonce": "n-0S6_WzA2Mj", "email": "janedoe@example.com", "email_verified": True,
              "name": "Jane Doe", "preferred_username": "j.doe"}
    token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "bench-key"})
    with open(path, "w") as out:
        json.dump({"jwks": {"keys": [public]}, "token": token, "issuer": claims["iss"], "client_id": claims["aud"],
                   "nonce": claims["nonce"]}, out)


def make_passkey_fixture(path):
    """A registered ES256 and RS256 passkey and one assertion of each (made by the tests' oracle with
    `cryptography`), shared by both sides."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "PortcullisCryptoTests", "Oracles"))
    import oracle
    fixture = {"rp_id": "example.com", "origin": "https://example.com", "challenge": "5a" * 42}
    for alg in ("ES256", "RS256"):
        made = oracle.webauthn({"alg": alg, "rp_id": fixture["rp_id"], "origin": fixture["origin"], "credential": "01" * 32,
                                "create": "00" * 42, "get": [fixture["challenge"]]})
        fixture[alg] = {"cose": made["registration"]["cose"], **made["assertions"][0]}
    with open(path, "w") as out:
        json.dump(fixture, out)


def main():
    if sys.argv[1] == "make-id-token-fixture":
        make_id_token_fixture(sys.argv[2])
        return
    if sys.argv[1] == "make-passkey-fixture":
        make_passkey_fixture(sys.argv[2])
        return
    operation, seconds = sys.argv[1], float(sys.argv[2])
    if operation == "pbkdf2-sha256-600k":
        body = lambda: hashlib.pbkdf2_hmac("sha256", b"password", SALT, 600_000, 32)
    elif operation == "bcrypt-10":
        salt = b"$2b$10$" + bcrypt.gensalt(10)[7:]
        body = lambda: bcrypt.hashpw(b"password", salt)
    elif operation == "argon2id-owasp":
        body = lambda: argon2.low_level.hash_secret_raw(
            b"password", SALT, time_cost=2, memory_cost=19456, parallelism=1, hash_len=32,
            type=argon2.low_level.Type.ID)
    elif operation == "jwt-hs256":
        secret = "a-jwt-secret-of-reasonable-length"
        now = int(time.time())
        claims = {"id": "65f0c0ffee0123456789abcd", "username": "ana", "provider": "local",
                  "email": "ana@example.com", "iat": now, "exp": now + 900}

        def body():
            token = jwt.encode(claims, secret, algorithm="HS256")
            jwt.decode(token, secret, algorithms=["HS256"])
    elif operation == "oidc-id-token":
        fixture = json.load(open(os.environ["PORTCULLIS_BENCH_FIXTURE"]))
        keys = jwt.PyJWKSet.from_dict(fixture["jwks"])

        def body():
            kid = jwt.get_unverified_header(fixture["token"])["kid"]
            claims = jwt.decode(fixture["token"], keys[kid].key, algorithms=["RS256"], audience=fixture["client_id"],
                                issuer=fixture["issuer"], options={"require": ["exp", "iat", "iss", "aud", "sub"]})
            if not hmac.compare_digest(claims["nonce"], fixture["nonce"]):
                raise ValueError("nonce")
    elif operation == "totp-verify":
        import pyotp
        totp = pyotp.TOTP("JBSWY3DPEHPK3PXP")

        def body():
            if not totp.verify(totp.now(), valid_window=1):
                raise ValueError("totp")
    elif operation in ("chacha-seal-64", "chacha-open-64"):
        from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
        aead = ChaCha20Poly1305(b"\x07" * 32)
        nonce, message = b"\x01" * 12, b"\x61" * 64
        sealed = aead.encrypt(nonce, message, b"user")
        if operation == "chacha-seal-64":
            body = lambda: aead.encrypt(os.urandom(12), message, b"user")
        else:
            body = lambda: aead.decrypt(nonce, sealed, b"user")
    elif operation in ("passkey-es256", "passkey-rs256"):
        # py_webauthn's assertion check: client data, RP ID hash, flags, counter, signature (OpenSSL).
        import base64
        import webauthn
        fixture = json.load(open(os.environ["PORTCULLIS_BENCH_PASSKEYS"]))
        item = fixture["ES256" if operation == "passkey-es256" else "RS256"]
        encode = lambda h: base64.urlsafe_b64encode(bytes.fromhex(h)).rstrip(b"=").decode()
        credential = {"id": encode("01" * 32), "rawId": encode("01" * 32), "type": "public-key",
                      "response": {"clientDataJSON": encode(item["clientDataJSON"]),
                                   "authenticatorData": encode(item["authenticatorData"]),
                                   "signature": encode(item["signature"])}}

        def body():
            webauthn.verify_authentication_response(
                credential=credential, expected_challenge=bytes.fromhex(fixture["challenge"]),
                expected_rp_id=fixture["rp_id"], expected_origin=fixture["origin"],
                credential_public_key=bytes.fromhex(item["cose"]), credential_current_sign_count=0,
                require_user_verification=True)
    else:
        sys.exit(f"unknown operation {operation}")
    print(operation, measure(seconds, body))


if __name__ == "__main__":
    main()
