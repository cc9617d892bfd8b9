#!/usr/bin/env python3
"""Drives a running Portcullis HTTP server with Python's own clients (requests, http.client).
Usage: clients.py BASE_URL. Prints one line per check and exits non-zero on the first failure."""
import http.client
import json
import sys
import urllib.parse

import requests

base = sys.argv[1]
url = urllib.parse.urlparse(base)


def check(name, condition, detail=""):
    print(("ok   " if condition else "FAIL ") + name + ("" if condition else f": {detail}"))
    if not condition:
        sys.exit(1)


with requests.Session() as session:
    r = session.post(base + "/echo?x=1", json={"email": "ä@example.com"})
    echo = r.json()
    check("requests JSON POST", r.status_code == 200 and json.loads(echo["body"]) == {"email": "ä@example.com"}, r.text)
    check("content type passed through", echo["contentType"] == "application/json", echo)
    check("remote address", echo["remote"] == "127.0.0.1", echo)

    def chunks():
        yield b"hello, "
        yield b"chunked "
        yield b"world"
    r = session.post(base + "/echo", data=chunks())
    check("requests chunked upload", r.json()["body"] == "hello, chunked world", r.text)

    r = session.post(base + "/form", data={"code": "a/b c", "state": "s&t"})
    check("form body", r.json() == {"code": "a/b c", "state": "s&t"}, r.text)

    r = session.get(base + "/cookie")
    cookie = r.headers["Set-Cookie"]
    check("Set-Cookie flags", "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Max-Age=60" in cookie, cookie)
    r = session.get(base + "/echo")
    check("cookie sent back by the session", r.json()["cookies"].get("refreshToken") == "r1", r.text)

    r = session.head(base + "/json")
    check("HEAD has Content-Length and no body", r.headers.get("Content-Length") == "11" and r.content == b"", r.headers)
    r = session.get(base + "/missing")
    check("404 JSON", r.status_code == 404 and r.json() == {"message": "Not Found"}, r.text)
    r = session.put(base + "/json")
    check("405 with Allow", r.status_code == 405 and r.headers.get("Allow") == "GET, HEAD", r.headers)
    r = session.get(base + "/throws")
    check("500 hides internals", r.status_code == 500 and "hunter2" not in r.text, r.text)
    r = session.get(base + "/empty")
    check("204 without Content-Length", r.status_code == 204 and "Content-Length" not in r.headers, r.headers)

connection = http.client.HTTPConnection(url.hostname, url.port, timeout=5)
for i in range(3):
    connection.request("GET", "/json")
    response = connection.getresponse()
    body = response.read()
    check(f"http.client keep-alive request {i + 1}", response.status == 200 and body == b'{"ok":true}', body)
    check("Date header present", response.getheader("Date", "").endswith("GMT"))
connection.close()

connection = http.client.HTTPConnection(url.hostname, url.port, timeout=5)
connection._http_vsn, connection._http_vsn_str = 10, "HTTP/1.0"
connection.request("GET", "/json")
response = connection.getresponse()
check("HTTP/1.0 answered and closed", response.status == 200 and response.getheader("Connection") == "close",
      response.getheaders())
print("all python client checks passed")
