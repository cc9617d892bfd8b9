#!/usr/bin/env python3
"""Loopback stand-ins for GitHub, Discord, Facebook and Sign in with Apple: the authorization-code
flow (redirect_uri, single-use codes, client secrets, PKCE S256 whenever a challenge was sent) and
the profile APIs, answering with the JSON shapes those providers document:
  GitHub    /github/login/oauth/authorize, /github/login/oauth/access_token (errors as 200 + "error"),
            /github/api/v3/user, /github/api/v3/user/emails          (GITHUB_ENTERPRISE_BASE_URL=<base>/github)
  Discord   /discord/oauth2/authorize, /discord/api/oauth2/token, /discord/api/users/@me
  Facebook  /facebook/v18.0/dialog/oauth, /graph/v18.0/oauth/access_token, /graph/v18.0/me
  Apple     /apple/auth/authorize (answers with the form Apple would POST back), /apple/auth/token
            (checks the ES256 client-secret JWT with PyJWT), /apple/auth/keys; RS256 id_tokens.
Test hooks: POST /_test/profile/<provider> (what the next logins return), GET /_test/last/<provider>.
Env: PEERS_PORT, PEERS_CLIENTS_JSON {provider: {client_id, client_secret | apple: team_id, key_id, public_key_pem}}.
"""
import base64
import hashlib
import json
import os
import secrets
import time
import urllib.parse

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, jsonify, request, redirect

PORT = int(os.environ["PEERS_PORT"])
BASE = f"http://127.0.0.1:{PORT}"
CLIENTS = json.loads(os.environ["PEERS_CLIENTS_JSON"])
APPLE_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
APPLE_KID = "apple-test-key-1"
PROFILES = {
    "github": {"user": {"login": "octocat", "id": 583231, "avatar_url": "https://avatars.githubusercontent.com/u/583231?v=4",
                        "name": "The Octocat", "email": None},
               "emails": [{"email": "octo@old.example", "verified": True, "primary": False, "visibility": None},
                          {"email": "octocat@example.test", "verified": True, "primary": True, "visibility": "public"}]},
    "discord": {"id": "80351110224678912", "username": "nelly", "discriminator": "0", "global_name": "Nelly",
                "avatar": "a_8342729096ea3675442027381ff50dfe", "verified": True, "email": "nelly@example.test",
                "flags": 64, "locale": "en-US", "mfa_enabled": True},
    "facebook": {"id": "10158000000000001", "name": "Fay Book", "email": "fay@example.test",
                 "picture": {"data": {"height": 50, "is_silhouette": False, "url": "https://platform-lookaside.example/fay.jpg",
                                      "width": 50}}},
    "apple": {"sub": "001234.abcdef0123456789.1234", "email": "apple-user@privaterelay.example", "email_verified": "true"},
}
CODES, TOKENS, LAST = {}, {}, {}

app = Flask(__name__)


def issue_code(provider, args):
    code = secrets.token_urlsafe(24)
    CODES[code] = {"provider": provider, "client_id": args.get("client_id"), "redirect_uri": args.get("redirect_uri"),
                   "challenge": args.get("code_challenge"), "method": args.get("code_challenge_method"),
                   "nonce": args.get("nonce"), "profile": json.loads(json.dumps(PROFILES[provider]))}
    LAST[provider] = {"authorize": dict(args)}
    return code


def authorize(provider):
    args = request.args
    if args.get("client_id") != CLIENTS[provider]["client_id"] or args.get("response_type") != "code":
        return jsonify(error="invalid_request"), 400
    code = issue_code(provider, args)
    sep = "&" if "?" in args["redirect_uri"] else "?"
    return redirect(args["redirect_uri"] + sep + urllib.parse.urlencode({"code": code, "state": args.get("state", "")}))


def redeem(provider, form):
    """The checks every token endpoint makes; returns (grant, error)."""
    LAST.setdefault(provider, {})["token"] = {k: ("<redacted>" if "secret" in k else v) for k, v in form.items()}
    grant = CODES.pop(form.get("code", ""), None)
    if grant is None or grant["provider"] != provider:
        return None, "bad_verification_code"
    if form.get("client_id") != CLIENTS[provider]["client_id"] or form.get("redirect_uri") != grant["redirect_uri"]:
        return None, "redirect_uri_mismatch"
    if grant["challenge"]:
        verifier = form.get("code_verifier", "")
        digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if grant["method"] != "S256" or not secrets.compare_digest(digest, grant["challenge"]):
            return None, "invalid_grant"
    return grant, None


def check_secret(provider, form):
    return secrets.compare_digest(form.get("client_secret", ""), CLIENTS[provider]["client_secret"])


def bearer(provider):
    auth = request.headers.get("Authorization", "")
    grant = TOKENS.get(auth[7:]) if auth.startswith("Bearer ") else None
    return grant if grant and grant["provider"] == provider else None


def new_token(grant):
    token = secrets.token_urlsafe(24)
    TOKENS[token] = grant
    return token


# GitHub: errors come back as 200 with an "error" field.
@app.get("/github/login/oauth/authorize")
def github_authorize():
    return authorize("github")


@app.post("/github/login/oauth/access_token")
def github_token():
    if not check_secret("github", request.form):
        return jsonify(error="incorrect_client_credentials")
    grant, error = redeem("github", request.form)
    if error:
        return jsonify(error=error, error_description="The code passed is incorrect or expired.")
    return jsonify(access_token="gho_" + new_token(grant), token_type="bearer", scope="read:user,user:email")


def github_grant():
    auth = request.headers.get("Authorization", "")
    token = auth[7:]
    grant = TOKENS.get(token[4:]) if auth.startswith("Bearer gho_") else None
    LAST.setdefault("github", {})["user_agent"] = request.headers.get("User-Agent")
    return grant if grant and grant["provider"] == "github" else None


@app.get("/github/api/v3/user")
def github_user():
    grant = github_grant()
    return (jsonify(grant["profile"]["user"]), 200) if grant else (jsonify(message="Bad credentials"), 401)


@app.get("/github/api/v3/user/emails")
def github_emails():
    grant = github_grant()
    return (jsonify(grant["profile"]["emails"]), 200) if grant else (jsonify(message="Bad credentials"), 401)


@app.get("/discord/oauth2/authorize")
def discord_authorize():
    return authorize("discord")


@app.post("/discord/api/oauth2/token")
def discord_token():
    if not check_secret("discord", request.form):
        return jsonify(error="invalid_client"), 401
    grant, error = redeem("discord", request.form)
    if error:
        return jsonify(error="invalid_grant", error_description='Invalid "code" in request.'), 400
    return jsonify(access_token=new_token(grant), token_type="Bearer", expires_in=604800,
                   refresh_token=secrets.token_urlsafe(16), scope="identify email")


@app.get("/discord/api/users/@me")
def discord_me():
    grant = bearer("discord")
    return (jsonify(grant["profile"]), 200) if grant else (jsonify(message="401: Unauthorized", code=0), 401)


@app.get("/facebook/v18.0/dialog/oauth")
def facebook_dialog():
    return authorize("facebook")


@app.route("/graph/v18.0/oauth/access_token", methods=["GET", "POST"])
def facebook_token():
    form = request.values
    if not check_secret("facebook", form):
        return jsonify(error={"message": "Error validating client secret.", "type": "OAuthException", "code": 1}), 400
    grant, error = redeem("facebook", form)
    if error:
        return jsonify(error={"message": "Invalid verification code format.", "type": "OAuthException", "code": 100}), 400
    return jsonify(access_token=new_token(grant), token_type="bearer", expires_in=5183944)


@app.get("/graph/v18.0/me")
def facebook_me():
    grant = bearer("facebook")
    if not grant:
        return jsonify(error={"message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190}), 400
    fields = request.args.get("fields", "id,name").split(",")
    return jsonify({k: v for k, v in grant["profile"].items() if k in fields})


@app.get("/apple/auth/authorize")
def apple_authorize():
    args = request.args
    if args.get("client_id") != CLIENTS["apple"]["client_id"] or args.get("response_mode") != "form_post":
        return jsonify(error="invalid_request"), 400
    code = issue_code("apple", args)
    # Apple answers with a page that POSTs these fields to redirect_uri; the test posts them itself.
    fields = {"code": code, "state": args.get("state", ""),
              "user": json.dumps({"name": {"firstName": "Ada", "lastName": "Apple"}, "email": PROFILES["apple"]["email"]})}
    return jsonify(action=args["redirect_uri"], fields=fields)


@app.post("/apple/auth/token")
def apple_token():
    form = request.form
    apple = CLIENTS["apple"]
    try:  # an independent check of the ES256 client secret our server signs
        header = jwt.get_unverified_header(form.get("client_secret", ""))
        claims = jwt.decode(form.get("client_secret", ""), apple["public_key_pem"], algorithms=["ES256"], audience=BASE + "/apple",
                            issuer=apple["team_id"], options={"require": ["exp", "iat", "iss", "sub", "aud"]})
        if header.get("kid") != apple["key_id"] or claims["sub"] != apple["client_id"] or claims["exp"] - claims["iat"] > 15777000:
            raise jwt.InvalidTokenError("wrong kid, sub or lifetime")
    except jwt.PyJWTError as e:
        LAST.setdefault("apple", {})["client_secret_error"] = str(e)
        return jsonify(error="invalid_client"), 400
    grant, error = redeem("apple", form)
    if error:
        return jsonify(error="invalid_grant"), 400
    now = int(time.time())
    profile = grant["profile"]
    id_token = jwt.encode({"iss": BASE + "/apple", "aud": apple["client_id"], "exp": now + 600, "iat": now, "sub": profile["sub"],
                           "nonce": grant["nonce"], "email": profile["email"], "email_verified": profile["email_verified"],
                           "auth_time": now, "nonce_supported": True},
                          APPLE_KEY, algorithm="RS256", headers={"kid": APPLE_KID})
    return jsonify(access_token=new_token(grant), token_type="Bearer", expires_in=3600, id_token=id_token)


@app.get("/apple/auth/keys")
def apple_keys():
    numbers = APPLE_KEY.public_key().public_numbers()

    def b64(n):
        return base64.urlsafe_b64encode(n.to_bytes((n.bit_length() + 7) // 8, "big")).rstrip(b"=").decode()
    return jsonify(keys=[{"kty": "RSA", "kid": APPLE_KID, "use": "sig", "alg": "RS256", "n": b64(numbers.n), "e": b64(numbers.e)}])


@app.post("/_test/profile/<provider>")
def set_profile(provider):
    PROFILES[provider] = request.json
    return "", 204


@app.get("/_test/last/<provider>")
def last(provider):
    return jsonify(LAST.get(provider, {}))


if __name__ == "__main__":
    import logging
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app.run(host="127.0.0.1", port=PORT, threaded=True)
