#!/usr/bin/env python3
"""Portcullis crypto vs native references, measured in one run on this machine.

Each round runs every operation once for Portcullis and once for each peer, interleaved, on CPU time;
the table reports medians and the ratio ours ÷ reference (higher is better). SHA-256 and HMAC are
compared with OpenSSL with its SHA extensions masked (OPENSSL_ia32cap=":~0x20000000", its AVX2/SSSE3
assembly), since pure Swift cannot use SHA-NI; the unmasked figure is printed too."""
import argparse
import os
import platform
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
MASK = ":~0x20000000"

# name, bytes per op (for openssl), our op, peer kind, target ratio
BENCHMARKS = [
    ("SHA-256, 64 B", 64, "sha256-64", ("openssl-evp", "sha256"), 0.6),
    ("SHA-256, 1 MiB", 1 << 20, "sha256-1m", ("openssl-evp", "sha256"), 0.6),
    ("HMAC-SHA256, 300 B", 300, "hmac-sha256-300", ("openssl-hmac", "sha256"), 0.6),
    ("PBKDF2-HMAC-SHA256, 600k it.", None, "pbkdf2-sha256-600k", ("python", "hashlib.pbkdf2_hmac"), 0.8),
    ("bcrypt, cost 10", None, "bcrypt-10", ("python", "Python bcrypt"), 0.8),
    ("Argon2id m=19456 t=2 p=1", None, "argon2id-owasp", ("python", "argon2-cffi"), 0.7),
    ("JWT HS256 sign+verify", None, "jwt-hs256", ("python", "PyJWT"), 2.0),
    # Once per social login (id_token check), not per request: measured to know the cost, no target.
    ("RS256 verify, RSA-2048", None, "rs256-verify", ("openssl-speed", "rsa2048"), 0.0),
    ("ES256 verify, P-256", None, "es256-verify", ("openssl-speed", "ecdsap256"), 0.0),
    # The whole id_token check of a social login: kid lookup, RS256, iss/aud/exp/iat/nonce.
    ("OpenID id_token validation (RS256)", None, "oidc-id-token", ("python", "PyJWT 2.15 + cryptography (OpenSSL)"), 0.0),
    # Apple's client secret: one signature per Apple login at most (it can be cached for months).
    ("ES256 sign, P-256 (constant time)", None, "es256-sign", ("openssl-speed-sign", "ecdsap256"), 0.0),
    # The OpenID provider's id_token and access-token signatures.
    ("RS256 sign, RSA-2048 (CRT, blinding, verified)", None, "rs256-sign", ("openssl-speed-sign", "rsa2048"), 0.2),
    # The second step of a 2FA login: one TOTP check (three candidate steps), and a sealed secret opened.
    ("TOTP verify (±1 step)", None, "totp-verify", ("python", "pyotp 2.9"), 1.0),
    ("ChaCha20-Poly1305 seal, 64 B", None, "chacha-seal-64", ("python", "cryptography (OpenSSL)"), 0.0),
    ("ChaCha20-Poly1305 open, 64 B", None, "chacha-open-64", ("python", "cryptography (OpenSSL)"), 0.0),
    # A passkey sign-in's whole check (client data, authenticator data, COSE key, signature, counter).
    ("Passkey assertion verify, ES256", None, "passkey-es256", ("python", "py_webauthn 3.0 (OpenSSL)"), 0.0),
    ("Passkey assertion verify, RS256", None, "passkey-rs256", ("python", "py_webauthn 3.0 (OpenSSL)"), 0.0),
]


def run(command, env=None):
    merged = dict(os.environ)
    if env:
        merged.update(env)
    return subprocess.run(command, check=True, capture_output=True, text=True, env=merged).stdout


FIXTURE = {}


def ours(binary, operation, seconds):
    return float(run([binary, operation, str(seconds)], FIXTURE).split()[1])


def openssl(kind, digest, size, seconds, masked):
    env = {"OPENSSL_ia32cap": MASK} if masked else None
    if kind == "openssl-evp":
        out = run(["openssl", "speed", "-evp", digest, "-bytes", str(size), "-seconds", str(int(seconds))], env)
        label = digest
    else:
        out = run(["openssl", "speed", "-hmac", digest, "-bytes", str(size), "-seconds", str(int(seconds))], env)
        label = f"hmac({digest})"
    for line in out.splitlines():
        match = re.match(rf"^{re.escape(label)}\s+([\d.]+)k\s*$", line.strip())
        if match:
            return float(match.group(1)) * 1000 / size
    raise RuntimeError(f"could not parse openssl output:\n{out}")


def openssl_verify(algorithm, seconds, column=-1):
    """Verifications (last column) or signatures (column -2) per second from `openssl speed`."""
    out = run(["openssl", "speed", "-seconds", str(max(1, int(seconds))), algorithm])
    for line in out.splitlines():
        if re.search(r"\b(rsa 2048 bits|ecdsa \(nistp256\))", line):
            return float(line.split()[column])
    raise RuntimeError(f"could not parse openssl speed output:\n{out}")


def python_peer(python, operation, seconds):
    out = run([python, os.path.join(HERE, "peers.py"), operation, str(seconds)], {"OPENSSL_ia32cap": MASK, **FIXTURE})
    return float(out.split()[1])


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--python", required=True)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--only", default="", help="comma-separated: run only the operations whose name contains one of these")
    args = parser.parse_args()
    global BENCHMARKS
    wanted = [part.strip().lower() for part in args.only.split(",")]
    BENCHMARKS = [row for row in BENCHMARKS if any(part in row[0].lower() for part in wanted)]

    import tempfile
    fixture = os.path.join(tempfile.mkdtemp(prefix="portcullis-bench-"), "id-token.json")
    run([args.python, os.path.join(HERE, "peers.py"), "make-id-token-fixture", fixture])
    FIXTURE["PORTCULLIS_BENCH_FIXTURE"] = fixture
    passkeys = os.path.join(os.path.dirname(fixture), "passkeys.json")
    run([args.python, os.path.join(HERE, "peers.py"), "make-passkey-fixture", passkeys])
    FIXTURE["PORTCULLIS_BENCH_PASSKEYS"] = passkeys
    samples = {name: {"ours": [], "peer": [], "unmasked": []} for name, *_ in BENCHMARKS}
    for round_index in range(args.rounds):
        print(f"round {round_index + 1}/{args.rounds}", file=sys.stderr)
        for name, size, operation, (kind, label), _target in BENCHMARKS:
            samples[name]["ours"].append(ours(args.binary, operation, args.seconds))
            if kind == "openssl-speed":
                samples[name]["peer"].append(openssl_verify(label, args.seconds))
            elif kind == "openssl-speed-sign":
                samples[name]["peer"].append(openssl_verify(label, args.seconds, column=-2))
            elif kind.startswith("openssl"):
                samples[name]["peer"].append(openssl(kind, "sha256", size, args.seconds, masked=True))
                samples[name]["unmasked"].append(openssl(kind, "sha256", size, args.seconds, masked=False))
            else:
                samples[name]["peer"].append(python_peer(args.python, operation, args.seconds))

    openssl_version = run(["openssl", "version"]).strip()
    print(f"\nMachine: {platform.machine()}, {os.cpu_count()} cores, {cpu_model()}; {openssl_version}; "
          f"medians of {args.rounds} interleaved rounds, CPU time.\n")
    print("| operation | Portcullis ops/s | reference | reference ops/s | ratio | target |")
    print("|---|---:|---|---:|---:|---:|")
    for name, size, operation, (kind, label), target in BENCHMARKS:
        mine = statistics.median(samples[name]["ours"])
        peer = statistics.median(samples[name]["peer"])
        if kind.startswith("openssl-speed"):
            reference = f"OpenSSL speed {label}"
        elif kind.startswith("openssl"):
            reference = f"OpenSSL {label} (SHA-NI masked)"
        else:
            reference = label
        verdict = "" if mine / peer >= target else " (below)"
        goal = f"≥ {target}x{verdict}" if target > 0 else "measured only"
        print(f"| {name} | {mine:,.1f} | {reference} | {peer:,.1f} | {mine / peer:.2f}x | {goal} |")
        if samples[name]["unmasked"]:
            unmasked = statistics.median(samples[name]["unmasked"])
            print(f"| {name} | {mine:,.1f} | OpenSSL {label} with SHA-NI | {unmasked:,.1f} | {mine / unmasked:.2f}x | (for honesty) |")


def cpu_model():
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


if __name__ == "__main__":
    main()
