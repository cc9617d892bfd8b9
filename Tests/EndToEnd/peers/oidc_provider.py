#!/usr/bin/env python3
"""A real OpenID Connect provider for loopback tests, on Authlib 1.9.10 + Flask 3.1.3 (after the
recipe in shared/reference/test-peers.md §9.2): discovery, JWKS with kids, authorization-code flow
with PKCE (S256 checked whenever a challenge was sent), nonce, single-use codes, client secrets,
userinfo, key rotation.

Test hooks (loopback only, never in a real provider):
  POST /_test/login-as      {"user": "alice"}   who /authorize signs in (no form)
  POST /_test/next-id-token {"mode": M}         re-mint the next id_token: wrong_nonce, wrong_aud,
                                                 wrong_iss, expired, unknown_key, alg_none, hs256, es256
  POST /_test/rotate-keys   new RSA signing key (the old one stays published)
  POST /_test/drop-old-keys publish only the current key
  GET  /_test/stats         {"jwks_fetches": n, "last_authorize": {...}}
Env: OIDC_PORT, OIDC_CLIENTS_JSON, OIDC_USERS_JSON.
"""
import base64
import json
import os
import secrets
import time
import warnings

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from flask import Flask, jsonify, request
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

warnings.filterwarnings("ignore")
os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")  # plain http on loopback

PORT = int(os.environ.get("OIDC_PORT", "9401"))
ISSUER = f"http://127.0.0.1:{PORT}"
CLIENTS = {c["client_id"]: c for c in json.loads(os.environ["OIDC_CLIENTS_JSON"])}
USERS = json.loads(os.environ["OIDC_USERS_JSON"])
USERS_BY_SUB = {u["sub"]: u for u in USERS.values()}
PROFILE_FIELDS = ("email", "email_verified", "name", "given_name", "family_name", "preferred_username", "roles", "groups")


def new_rsa():
    key = RSAKey.generate_key(2048, private=True)
    key.ensure_kid()
    return key


KEYS = [new_rsa()]
EC_KEY = ECKey.generate_key("P-256", private=True)
EC_KEY.ensure_kid()
STATE = {"login_as": next(iter(USERS)), "mode": None, "jwks_fetches": 0, "last_authorize": {}}
CODES, TOKENS, NONCES = {}, {}, set()


class Client:
    def __init__(self, d):
        self.d = d
        self.public = not d.get("client_secret")
    def get_client_id(self): return self.d["client_id"]
    def get_default_redirect_uri(self): return self.d["redirect_uris"][0]
    def get_allowed_scope(self, scope):
        return " ".join(s for s in (scope or "").split() if s in ("openid", "email", "profile"))
    def check_redirect_uri(self, uri): return uri in self.d["redirect_uris"]
    def check_client_secret(self, s):
        return not self.public and secrets.compare_digest(s, self.d["client_secret"])
    def check_endpoint_auth_method(self, method, endpoint):
        if endpoint == "token":
            return method == "none" if self.public else method in ("client_secret_basic", "client_secret_post")
        return True
    def check_response_type(self, rt): return rt == "code"
    def check_grant_type(self, gt): return gt == "authorization_code"


class Code:
    def __init__(self, **kw): self.__dict__.update(kw)
    def get_redirect_uri(self): return self.redirect_uri
    def get_scope(self): return self.scope
    def get_nonce(self): return self.nonce
    def get_auth_time(self): return self.auth_time
    def get_acr(self): return None
    def get_amr(self): return ["pwd"]


class AuthCodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]
    def save_authorization_code(self, code, req):
        p = req.payload
        CODES[code] = Code(code=code, client_id=req.client.get_client_id(), redirect_uri=p.redirect_uri,
                           scope=p.scope, nonce=p.data.get("nonce"), user_sub=req.user["sub"],
                           auth_time=int(time.time()), code_challenge=p.data.get("code_challenge"),
                           code_challenge_method=p.data.get("code_challenge_method"))
    def query_authorization_code(self, code, client):
        c = CODES.get(code)
        return c if c and c.client_id == client.get_client_id() else None
    def delete_authorization_code(self, c): CODES.pop(c.code, None)
    def authenticate_user(self, c): return USERS_BY_SUB.get(c.user_sub)


def user_info(user, scope):
    info = UserInfo(sub=user["sub"])
    for field in PROFILE_FIELDS:
        if field in user:
            info[field] = user[field]
    return info


class OIDCCode(OpenIDCode):
    def exists_nonce(self, nonce, req): return nonce in NONCES
    def resolve_client_private_key(self, client): return KEYS[0]
    def get_client_algorithm(self, client): return "RS256"
    def get_encode_header(self, client): return {"alg": "RS256", "typ": "JWT", "kid": KEYS[0].kid}
    def get_client_claims(self, client):
        return {"iss": ISSUER, "aud": client.get_client_id(), "exp": int(time.time()) + 3600}
    def generate_user_info(self, user, scope): return user_info(user, scope)


def save_token(token, req):
    TOKENS[token["access_token"]] = {"sub": req.user["sub"], "scope": token.get("scope", ""), "exp": time.time() + 3600}


app = Flask(__name__)
server = AuthorizationServer(app, query_client=lambda cid: Client(CLIENTS[cid]) if cid in CLIENTS else None, save_token=save_token)
server.register_grant(AuthCodeGrant, [OIDCCode(require_nonce=False), CodeChallenge(required=False)])


@app.get("/.well-known/openid-configuration")
def discovery():
    return jsonify({
        "issuer": ISSUER, "authorization_endpoint": ISSUER + "/authorize", "token_endpoint": ISSUER + "/token",
        "userinfo_endpoint": ISSUER + "/userinfo", "jwks_uri": ISSUER + "/jwks", "end_session_endpoint": ISSUER + "/logout",
        "response_types_supported": ["code"], "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256"], "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"]})


@app.get("/jwks")
def jwks():
    STATE["jwks_fetches"] += 1
    keys = [dict(k.as_dict(private=False), use="sig", alg="RS256") for k in KEYS]
    keys.append(dict(EC_KEY.as_dict(private=False), use="sig", alg="ES256"))
    return jsonify({"keys": keys})


@app.get("/authorize")
def authorize():
    STATE["last_authorize"] = dict(request.args)
    try:  # validates client_id, redirect_uri, response_type, scope, PKCE params, nonce replay
        grant = server.get_consent_grant(end_user=None)
    except OAuth2Error as e:
        return server.handle_error_response(request, e)
    response = server.create_authorization_response(grant_user=USERS[STATE["login_as"]], grant=grant)
    if request.args.get("nonce") and response.status_code == 302:
        NONCES.add(request.args["nonce"])
    return response


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def remint(id_token, mode):
    claims = json.loads(base64.urlsafe_b64decode(id_token.split(".")[1] + "=="))
    header = {"alg": "RS256", "typ": "JWT", "kid": KEYS[0].kid}
    key = KEYS[0]
    if mode == "wrong_nonce":
        claims["nonce"] = "not-the-nonce-we-were-sent"
    elif mode == "wrong_aud":
        claims["aud"] = "another-client"
    elif mode == "wrong_iss":
        claims["iss"] = "http://127.0.0.1:1/other"
    elif mode == "expired":
        claims["iat"] = int(time.time()) - 7200
        claims["exp"] = int(time.time()) - 3600
    elif mode == "unknown_key":
        key = new_rsa()
        header["kid"] = key.kid
    elif mode == "alg_none":
        return b64(json.dumps({"alg": "none", "typ": "JWT", "kid": KEYS[0].kid}).encode()) + "." + b64(json.dumps(claims).encode()) + "."
    elif mode == "hs256":  # signed with the client secret, as a confused verifier would accept
        from joserfc.jwk import OctKey
        key = OctKey.import_key(next(iter(CLIENTS.values()))["client_secret"])
        header = {"alg": "HS256", "typ": "JWT", "kid": KEYS[0].kid}
    elif mode == "es256":
        key = EC_KEY
        header = {"alg": "ES256", "typ": "JWT", "kid": EC_KEY.kid}
    return jwt.encode(header, claims, key, algorithms=[header["alg"]])


@app.post("/token")
def token():
    response = server.create_token_response()
    mode, STATE["mode"] = STATE["mode"], None
    if mode and response.status_code == 200:
        body = json.loads(response.get_data())
        body["id_token"] = remint(body["id_token"], mode)
        response.set_data(json.dumps(body))
    return response


@app.route("/userinfo", methods=["GET", "POST"])
def userinfo():
    auth = request.headers.get("Authorization", "")
    t = TOKENS.get(auth[7:]) if auth.startswith("Bearer ") else None
    if not t or t["exp"] < time.time():
        return jsonify(error="invalid_token"), 401, {"WWW-Authenticate": 'Bearer error="invalid_token"'}
    return jsonify(user_info(USERS_BY_SUB[t["sub"]], t["scope"]))


@app.post("/_test/login-as")
def login_as():
    STATE["login_as"] = request.json["user"]
    return "", 204


@app.post("/_test/next-id-token")
def next_id_token():
    STATE["mode"] = request.json["mode"]
    return "", 204


@app.post("/_test/rotate-keys")
def rotate():
    KEYS.insert(0, new_rsa())
    return jsonify(kids=[k.kid for k in KEYS])


@app.post("/_test/drop-old-keys")
def drop_old():
    del KEYS[1:]
    return jsonify(kids=[k.kid for k in KEYS])


@app.get("/_test/stats")
def stats():
    return jsonify(jwks_fetches=STATE["jwks_fetches"], last_authorize=STATE["last_authorize"])


if __name__ == "__main__":
    import logging
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app.run(host="127.0.0.1", port=PORT, threaded=True)
