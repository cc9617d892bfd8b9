#!/usr/bin/env python3
"""The reference implementations timed against CryptoBench: prints `<operation> <ops per CPU second>`.
Run under the same OPENSSL_ia32cap as the comparison wants (crypto.py sets it)."""
import hashlib
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


def main():
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
    else:
        sys.exit(f"unknown operation {operation}")
    print(operation, measure(seconds, body))


if __name__ == "__main__":
    main()
