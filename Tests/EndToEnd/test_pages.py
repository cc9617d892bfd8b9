"""The pages people use, driven with a cookie-keeping client that reads the HTML like a browser."""
import json
import os
from html import unescape as html_unescape
import re
import tempfile
import time

import pyotp
import requests

from conftest import register

PASSWORD = "correct horse battery"
CSP = ("default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; report-uri /csp-report")


def csrf(html):
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def browser():
    return requests.Session()


def field_error(html, field):
    """The message shown next to input `field`, checking the input points at it; `None` when there is none."""
    found = re.search(r'<p class="field-error" id="%s-error">([^<]*)</p>' % re.escape(field), html)
    if found:
        assert re.search(r'<input id="%s"[^>]*aria-invalid="true" aria-describedby="%s-error"' % (field, field), html)
    return html_unescape(found.group(1)) if found else None


def sign_in(server, client, email, password=PASSWORD):
    token = csrf(client.get(server.url("/login")).text)
    return client.post(server.url("/login"), data={"csrf": token, "email": email, "password": password}, allow_redirects=False)


def test_every_page_is_strict_and_forms_need_their_csrf_token(server):
    client = browser()
    for path in ("/login", "/register", "/forgot-password", "/reset-password?token=x&userId=y"):
        r = client.get(server.url(path))
        assert r.status_code == 200 and r.headers["Content-Type"] == "text/html; charset=utf-8", path
        assert r.headers["Content-Security-Policy"] == CSP and r.headers["Cache-Control"] == "no-store", path
        assert r.headers["X-Frame-Options"] == "DENY" and r.headers["Referrer-Policy"] == "no-referrer", path
        # The only script is our own file (passkeys), never inline; no inline style either.
        scripts = re.findall(r"<script[^>]*>", r.text)
        assert scripts in ([], ['<script src="/assets/passkeys.js" defer>']) and " style=" not in r.text, path
        assert "<script>" not in r.text and " on" not in re.sub(r"<(?!input|button|a |form)[^>]*>", "", r.text), path
    # The sign-in page is prerendered: each browser still gets its own token, and only that differs.
    first, second = browser().get(server.url("/login")), browser().get(server.url("/login"))
    assert csrf(first.text) != csrf(second.text) and "\x01" not in first.text
    assert first.text.replace(csrf(first.text), "") == second.text.replace(csrf(second.text), "")
    assert client.get(server.url("/assets/portcullis.css")).headers["Content-Type"].startswith("text/css")
    script = client.get(server.url("/assets/passkeys.js"))
    assert script.headers["Content-Type"] == "text/javascript; charset=utf-8" and "navigator.credentials" in script.text
    register(server, "page@example.com")
    assert client.get(server.url("/"), allow_redirects=False).headers["Location"] == "/login"
    assert client.get(server.url("/account"), allow_redirects=False).headers["Location"] == "/login"
    # No token, a wrong one, or another origin: refused, nothing happens.
    for data, headers in (({"email": "page@example.com", "password": PASSWORD}, {}),
                          ({"csrf": "x" * 43, "email": "page@example.com", "password": PASSWORD}, {}),
                          ({"csrf": client.cookies["portcullis_csrf"], "email": "page@example.com", "password": PASSWORD},
                           {"Origin": "https://evil.example"})):
        r = client.post(server.url("/login"), data=data, headers=headers, allow_redirects=False)
        assert r.status_code == 403 and "This form has expired" in r.text and "refreshToken" not in client.cookies


def test_sign_up_sign_in_account_sessions_and_sign_out(server):
    laptop = browser()
    token = csrf(laptop.get(server.url("/register")).text)
    r = laptop.post(server.url("/register"), data={"csrf": token, "name": "<b>Ana</b>", "email": "ana@example.com",
                                                   "password": PASSWORD, "confirm_password": "something else"})
    assert r.status_code == 400 and "did not match" in r.text and 'value="ana@example.com"' in r.text
    r = laptop.post(server.url("/register"), data={"csrf": token, "name": "<b>Ana</b>", "email": "ana@example.com",
                                                   "password": PASSWORD, "confirm_password": PASSWORD})
    assert r.status_code == 200 and "You can sign in now" in r.text
    r = sign_in(server, laptop, "ana@example.com", "wrong password!")
    assert r.status_code == 401 and "Incorrect email or password." in r.text
    r = sign_in(server, laptop, "ana@example.com")
    assert r.status_code == 303 and r.headers["Location"] == "/account" and laptop.cookies.get("refreshToken")
    account = laptop.get(server.url("/account")).text
    assert "&lt;b&gt;Ana&lt;/b&gt;" in account and "<b>Ana</b>" not in account  # escaped by default
    phone = browser()
    assert sign_in(server, phone, "ana@example.com").status_code == 303
    account = laptop.get(server.url("/account")).text
    assert account.count("this device") == 1 and account.count('action="/account/sessions/end"') == 1
    assert account.count("Python requests") == 2 and account.count("127.0.0.1") == 2  # each session's device and address
    other = re.search(r'name="session" value="([0-9a-f]{24})"', account).group(1)
    r = laptop.post(server.url("/account/sessions/end"), data={"csrf": csrf(account), "session": other}, allow_redirects=False)
    assert r.status_code == 303
    assert phone.post(server.url("/api/auth/refresh")).status_code == 401  # the phone's session is over
    assert laptop.post(server.url("/api/auth/refresh")).status_code == 200
    account = laptop.get(server.url("/account")).text
    r = laptop.post(server.url("/logout"), data={"csrf": csrf(account)}, allow_redirects=False)
    assert r.headers["Location"] == "/login" and "refreshToken" not in laptop.cookies
    assert laptop.post(server.url("/api/auth/refresh")).text == "Refresh token not provided"  # LibreChat's answer
    assert "portcullis_sessions 0" in requests.get(server.url("/metrics")).text


def test_the_second_step_page_and_recovery(start_server):
    server = start_server(ALLOW_PASSWORD_RESET="true")
    register(server, "two@example.com")
    api = requests.post(server.url("/api/auth/login"), json={"email": "two@example.com", "password": PASSWORD}).json()["token"]
    url = requests.post(server.url("/api/auth/2fa/enable"), headers={"Authorization": f"Bearer {api}"}, json={}).json()["otpauthUrl"]
    totp = pyotp.TOTP(re.search(r"secret=([A-Z2-7]+)", url).group(1))
    requests.post(server.url("/api/auth/2fa/confirm"), headers={"Authorization": f"Bearer {api}"}, json={"token": totp.now()})
    client = browser()
    r = sign_in(server, client, "two@example.com")
    assert r.headers["Location"] == "/login/2fa" and "tempToken" not in r.headers["Location"]
    assert "refreshToken" not in client.cookies and client.cookies.get("portcullis_2fa")
    page = client.get(server.url("/login/2fa")).text
    r = client.post(server.url("/login/2fa"), data={"csrf": csrf(page), "token": "000000"}, allow_redirects=False)
    assert r.status_code == 401 and "Invalid 2FA code or backup code" in r.text
    r = client.post(server.url("/login/2fa"), data={"csrf": csrf(page), "token": totp.at(time.time() + 30)},
                    allow_redirects=False)
    assert r.status_code == 303 and r.headers["Location"] == "/account" and client.cookies.get("refreshToken")
    # Recovery without email configured is refused, with the same words as the API.
    forgot = browser()
    page = forgot.get(server.url("/forgot-password")).text
    r = forgot.post(server.url("/forgot-password"), data={"csrf": csrf(page), "email": "two@example.com"})
    assert r.status_code == 403 and "needs email" in r.text


ARTIFACTS = os.environ.get("PORTCULLIS_ARTIFACTS") or os.path.join(tempfile.gettempdir(), "portcullis-screenshots")


def shot(browser, name):
    os.makedirs(ARTIFACTS, exist_ok=True)
    browser.save_screenshot(os.path.join(ARTIFACTS, f"{name}.png"))


def arrived(browser, path):
    """Waits (bounded) until the browser has navigated to `path`."""
    from selenium.webdriver.support.ui import WebDriverWait
    WebDriverWait(browser, 10).until(lambda b: b.current_url.split("?")[0].endswith(path))
    return True


def shows(browser, text):
    """Waits (bounded) until the page shows `text`: a form answer on the same path."""
    from selenium.webdriver.support.ui import WebDriverWait
    WebDriverWait(browser, 10).until(lambda b: text in b.page_source)
    return True


def two_step_sign_in(browser, email, totp, screenshot=None):
    """On the sign-in page already: email and password, then the code of `totp` on the second step."""
    from selenium.webdriver.common.by import By
    browser.find_element(By.ID, "email").send_keys(email)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    assert arrived(browser, "/login/2fa")
    if screenshot:
        shot(browser, screenshot)
    browser.find_element(By.ID, "token").send_keys(totp.at(time.time() + 30))
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()


def csp_violations(browser):
    return [entry["message"] for entry in browser.get_log("browser") if "Content Security Policy" in entry["message"]]


def test_a_real_browser_signs_up_signs_in_takes_the_second_step_and_sees_its_sessions(server, browser):
    from selenium.webdriver.common.by import By
    register(server, "first@example.com")  # not the first run: "/" leads to sign-in
    browser.get(server.url("/"))
    assert arrived(browser, "/login")
    shot(browser, "sign-in")
    browser.find_element(By.LINK_TEXT, "Create an account").click()
    for field, value in (("name", "Browser User"), ("email", "chrome@example.com"), ("password", PASSWORD),
                         ("confirm_password", PASSWORD)):
        browser.find_element(By.ID, field).send_keys(value)
    shot(browser, "sign-up")
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    assert shows(browser, "You can sign in now")
    browser.find_element(By.LINK_TEXT, "Sign in").click()
    assert arrived(browser, "/login")
    browser.find_element(By.ID, "email").send_keys("chrome@example.com")
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    assert arrived(browser, "/account") and "chrome@example.com" in browser.page_source
    assert "this device" in browser.page_source and "Chrome on Linux" in browser.page_source
    shot(browser, "account")
    cookies = {cookie["name"]: cookie for cookie in browser.get_cookies()}
    assert cookies["refreshToken"]["httpOnly"] and cookies["portcullis_csrf"]["sameSite"] == "Strict"

    # 2FA on (through the API, as a client would), then the second step in the browser.
    api = requests.post(server.url("/api/auth/login"), json={"email": "chrome@example.com", "password": PASSWORD}).json()
    auth = {"Authorization": f"Bearer {api['token']}"}
    url = requests.post(server.url("/api/auth/2fa/enable"), headers=auth, json={}).json()["otpauthUrl"]
    totp = pyotp.TOTP(re.search(r"secret=([A-Z2-7]+)", url).group(1))
    assert requests.post(server.url("/api/auth/2fa/confirm"), headers=auth, json={"token": totp.now()}).status_code == 200
    browser.find_element(By.CSS_SELECTOR, "form[action='/logout'] button").click()
    assert arrived(browser, "/login")
    two_step_sign_in(browser, "chrome@example.com", totp, screenshot="second-step")
    assert arrived(browser, "/account") and ">on<" in browser.page_source
    assert csp_violations(browser) == [] and csp_reports(server, 204) == 0


def test_first_run_creates_the_administrator_with_the_setup_code_from_the_log(start_server):
    server = start_server(ALLOW_REGISTRATION="false")
    code = re.search(r"setup code ([A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4})", server.logs()).group(1)
    client = browser()
    assert client.get(server.url("/"), allow_redirects=False).headers["Location"] == "/setup"
    token = csrf(client.get(server.url("/setup")).text)
    form = {"csrf": token, "name": "First Admin", "email": "root@example.com", "password": PASSWORD,
            "confirm_password": PASSWORD}
    r = client.post(server.url("/setup"), data={**form, "code": "AAAA-BBBB-CCCC-DDDD"})
    assert r.status_code == 403 and "not the one in the server" in r.text
    assert "portcullis_users 0" in requests.get(server.url("/metrics")).text
    r = client.post(server.url("/setup"), data={**form, "code": code.lower().replace("-", " ")})
    assert r.status_code == 200 and "administrator account is ready" in r.text
    r = sign_in(server, client, "root@example.com")
    assert r.status_code == 303
    assert "ADMIN" in client.get(server.url("/account")).text
    # The page is gone, and the code with it.
    assert client.get(server.url("/setup")).status_code == 404
    assert client.post(server.url("/setup"), data={**form, "code": code}).status_code == 404
    assert client.get(server.url("/"), allow_redirects=False).headers["Location"] == "/account"


def test_profile_and_password_change_from_the_account_page(server):
    register(server, "ana@example.com")
    laptop, phone = browser(), browser()
    assert sign_in(server, laptop, "ana@example.com").status_code == 303
    assert sign_in(server, phone, "ana@example.com").status_code == 303
    page = laptop.get(server.url("/account")).text
    r = laptop.post(server.url("/account/profile"), data={"csrf": csrf(page), "name": "x", "username": "ana"})
    assert r.status_code == 400 and "at least 3" in field_error(r.text, "name") and field_error(r.text, "username") is None
    r = laptop.post(server.url("/account/profile"), data={"csrf": csrf(page), "name": "Ana <Lima>", "username": "Ana.L"})
    assert r.status_code == 200 and "Profile saved." in r.text and "Ana &lt;Lima&gt;" in r.text and "ana.l" in r.text
    for bad in ("javascript:alert(1)", "http://pics.example/a.png", "https://pics.example/a b.png",
                "https://pics.example/" + "a" * 2048):
        r = laptop.post(server.url("/account/profile"), data={"csrf": csrf(page), "name": "Someone Else", "username": "ana.l",
                                                             "avatar": bad})
        assert r.status_code == 400 and "Expected an https URL" in field_error(r.text, "avatar")
        assert "Someone Else" not in r.text
    picture = "https://pics.example/ana.png?size=96&manual=true"
    r = laptop.post(server.url("/account/profile"), data={"csrf": csrf(page), "name": "Ana <Lima>", "username": "ana.l",
                                                         "avatar": picture})
    assert r.status_code == 200 and 'value="https://pics.example/ana.png?size=96&amp;manual=true"' in r.text
    api = requests.post(server.url("/api/auth/login"), json={"email": "ana@example.com", "password": PASSWORD}).json()
    assert api["user"]["avatar"] == picture
    r = laptop.post(server.url("/account/password"), data={"csrf": csrf(page), "current_password": "not it at all",
                                                          "password": "a new long password", "confirm_password": "a new long password"})
    assert r.status_code == 403 and "current password is not right" in field_error(r.text, "current_password")
    old_device = laptop.cookies["portcullis_device"]
    r = laptop.post(server.url("/account/password"), data={"csrf": csrf(page), "current_password": PASSWORD,
                                                          "password": "a new long password", "confirm_password": "a new long password"})
    assert r.status_code == 200 and "2 other session(s) ended" in r.text  # the phone and the API login
    assert laptop.cookies["portcullis_device"] != old_device
    assert phone.post(server.url("/api/auth/refresh")).status_code == 401
    assert laptop.post(server.url("/api/auth/refresh")).status_code == 200
    assert sign_in(server, browser(), "ana@example.com").status_code == 401
    assert sign_in(server, browser(), "ana@example.com", "a new long password").status_code == 303


def test_two_factor_enrolment_from_the_account_page(server):
    register(server, "otp@example.com")
    client = browser()
    assert sign_in(server, client, "otp@example.com").status_code == 303
    page = client.get(server.url("/account")).text
    assert client.post(server.url("/account/2fa/enable"), data={"email": "x"}).status_code == 403
    r = client.post(server.url("/account/2fa/enable"), data={"csrf": csrf(page)})
    assert r.status_code == 200 and "<svg" in r.text and "<script" not in r.text
    secret = re.search(r'<code id="secret">([A-Z2-7]+)</code>', r.text).group(1)
    backup = re.findall(r"<li><code>([0-9a-f]+)</code></li>", r.text)
    assert len(backup) == 10
    totp = pyotp.TOTP(secret)
    wrong = f"{(int(totp.now()) + 1) % 1000000:06d}"
    r = client.post(server.url("/account/2fa/confirm"), data={"csrf": csrf(r.text), "token": wrong})
    assert r.status_code == 400 and "Invalid token" in r.text and ">off<" in r.text
    r = client.post(server.url("/account/2fa/confirm"), data={"csrf": csrf(r.text), "token": totp.now()})
    assert r.status_code == 200 and "Two-factor authentication is on." in r.text and ">on<" in r.text
    # Sign-in now takes the second step; a backup code works once.
    other = browser()
    assert sign_in(server, other, "otp@example.com").headers["Location"].startswith("/login/2fa")
    # Off needs a code: none or a wrong one changes nothing; a backup code does it.
    r = client.post(server.url("/account/2fa/disable"), data={"csrf": csrf(r.text), "token": ""})
    assert r.status_code == 400 and ">on<" in r.text
    r = client.post(server.url("/account/2fa/disable"), data={"csrf": csrf(r.text), "token": "00000000"})
    assert r.status_code == 401 and ">on<" in r.text
    # New backup codes: a code is needed, then the old ones stop working.
    r = client.post(server.url("/account/2fa/backup"), data={"csrf": csrf(r.text), "token": ""})
    assert r.status_code == 400 and "Enter a code" in r.text
    r = client.post(server.url("/account/2fa/backup"), data={"csrf": csrf(r.text), "token": backup[1]})
    assert r.status_code == 200 and "old backup codes no longer work" in r.text
    fresh = re.findall(r"<li><code>([0-9a-f]+)</code></li>", r.text)
    assert len(fresh) == 10 and not set(fresh) & set(backup)
    page = client.get(server.url("/account")).text
    r = client.post(server.url("/account/2fa/disable"), data={"csrf": csrf(page), "token": backup[0]})
    assert r.status_code == 401 and ">on<" in r.text
    r = client.post(server.url("/account/2fa/disable"), data={"csrf": csrf(r.text), "token": fresh[0]})
    assert r.status_code == 200 and "Two-factor authentication is off." in r.text and ">off<" in r.text
    assert sign_in(server, browser(), "otp@example.com").status_code == 303


def test_a_real_browser_enrols_by_scanning_the_qr_code(server, browser):
    import subprocess
    from selenium.webdriver.common.by import By
    register(server, "scan@example.com")
    browser.get(server.url("/login"))
    browser.find_element(By.ID, "email").send_keys("scan@example.com")
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    assert arrived(browser, "/account")
    browser.find_element(By.CSS_SELECTOR, "form[action='/account/2fa/enable'] button").click()
    assert arrived(browser, "/account/2fa/enable")
    shot(browser, "enrol")
    png = os.path.join(ARTIFACTS, "enrol-qr.png")
    browser.find_element(By.CSS_SELECTOR, "figure.qr svg").screenshot(png)
    # An independent decoder reads what a phone would: the otpauth link with the shown key.
    url = subprocess.run(["zbarimg", "--raw", "-q", png], capture_output=True, text=True, timeout=30).stdout.strip()
    assert url.startswith("otpauth://totp/") and ("scan%40example.com" in url or "scan@example.com" in url)
    secret = re.search(r"secret=([A-Z2-7]+)", url).group(1)
    assert secret == browser.find_element(By.ID, "secret").text
    browser.find_element(By.ID, "token").send_keys(pyotp.TOTP(secret).now())
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    assert arrived(browser, "/account/2fa/confirm") and "Two-factor authentication is on." in browser.page_source
    assert csp_violations(browser) == [] and csp_reports(server, 204) == 0


def csp_reports(server, status):
    metrics = requests.get(server.url("/metrics")).text
    found = re.search(r'portcullis_http_requests_total\{route="POST /csp-report",status="%d"\} (\d+)' % status, metrics)
    return int(found.group(1)) if found else 0


def test_csp_reports_are_logged_without_secrets_and_bounded(server):
    legacy = {"csp-report": {"document-uri": "http://127.0.0.1/reset-password?token=SECRETTOKEN&userId=u",
                             "violated-directive": "img-src", "effective-directive": "img-src",
                             "blocked-uri": "https://evil.example/x.png?k=SECRETKEY", "script-sample": "SAMPLE"}}
    r = requests.post(server.url("/csp-report"), json=legacy, headers={"Content-Type": "application/csp-report"})
    assert r.status_code == 204 and r.content == b""
    modern = [{"type": "csp-violation", "body": {"documentURL": "http://127.0.0.1/login#frag", "blockedURL": "inline",
                                                  "effectiveDirective": "style-src-attr"}}]
    assert requests.post(server.url("/csp-report"), data=json.dumps(modern),
                         headers={"Content-Type": "application/reports+json"}).status_code == 204
    # Bad input: a clear 4xx, nothing logged.
    assert requests.post(server.url("/csp-report"), data="{}", headers={"Content-Type": "text/plain"}).status_code == 415
    assert requests.post(server.url("/csp-report"), data="not json",
                         headers={"Content-Type": "application/csp-report"}).status_code == 400
    assert requests.post(server.url("/csp-report"), data='{"csp-report": {"document-uri": "' + "a" * 9000 + '"}}',
                         headers={"Content-Type": "application/csp-report"}).status_code == 413
    time.sleep(0.5)
    logs = server.logs()
    assert "content security policy violation" in logs and "/reset-password" in logs and "style-src-attr" in logs
    for secret in ("SECRETTOKEN", "SECRETKEY", "SAMPLE", "frag"):
        assert secret not in logs
    # A flood is answered and counted, but the log takes at most 20 lines a minute.
    for _ in range(40):
        requests.post(server.url("/csp-report"), json=legacy, headers={"Content-Type": "application/csp-report"})
    time.sleep(0.5)
    assert server.logs().count("content security policy violation") == 20
    assert csp_reports(server, 204) == 42


def test_a_real_browser_reports_a_violation(server, browser):
    from selenium.webdriver.support.ui import WebDriverWait
    browser.get(server.url("/login"))
    before = csp_reports(server, 204)
    # Injected from outside the page (DevTools), as an attacker's markup would be: the CSP blocks the
    # image, and the browser reports it here.
    browser.execute_script("const i = document.createElement('img'); i.src = 'https://blocked.invalid/x.png';"
                           "document.body.appendChild(i);")
    WebDriverWait(browser, 10).until(lambda _: csp_reports(server, 204) > before)
    assert "blocked.invalid" in server.logs() and "img-src" in server.logs()


def test_app_logo_and_colour_set_the_look_and_bad_ones_stop_the_start(start_server, tmp_path):
    import pytest
    logo = tmp_path / "logo.svg"
    logo.write_text('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4"><script>alert(1)</script>'
                    '<rect width="4" height="4" fill="#c00"/></svg>')
    server = start_server(APP_TITLE="Acme <Chat>", APP_LOGO=str(logo), APP_COLOR="#C0A")
    page = requests.get(server.url("/login")).text
    assert "Acme &lt;Chat&gt;" in page and '<img class="logo" src="/assets/logo"' in page
    assert '<link rel="stylesheet" href="/assets/theme.css">' in page
    r = requests.get(server.url("/assets/logo"))
    assert r.headers["Content-Type"] == "image/svg+xml" and r.content == logo.read_bytes()
    assert "sandbox" in r.headers["Content-Security-Policy"] and r.headers["X-Content-Type-Options"] == "nosniff"
    assert "--accent: #cc00aa;" in requests.get(server.url("/assets/theme.css")).text
    # Without them: no logo, no theme, and their paths do not exist.
    plain = start_server()
    assert "/assets/logo" not in requests.get(plain.url("/login")).text
    assert requests.get(plain.url("/assets/theme.css")).status_code == 404
    # A bad value stops the start and names the variable.
    fake = tmp_path / "fake.png"
    fake.write_text("not an image at all")
    big = tmp_path / "big.png"
    big.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * (300 * 1024))
    for env, name in (({"APP_COLOR": "red; background: url(x)"}, "APP_COLOR"), ({"APP_LOGO": str(fake)}, "APP_LOGO"),
                      ({"APP_LOGO": str(big)}, "APP_LOGO"), ({"APP_LOGO": str(tmp_path / "missing.png")}, "APP_LOGO")):
        with pytest.raises(RuntimeError, match=name):
            start_server(**env)


def test_a_real_browser_draws_the_logo_and_colour_without_csp_violations(start_server, browser, tmp_path):
    from selenium.webdriver.common.by import By
    logo = tmp_path / "logo.svg"
    logo.write_text('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4"><rect width="4" height="4" fill="#0a7"/></svg>')
    server = start_server(APP_TITLE="Acme", APP_LOGO=str(logo), APP_COLOR="#0a7d55")
    browser.get(server.url("/login"))
    image = browser.find_element(By.CSS_SELECTOR, "img.logo")
    assert browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", image)
    button = browser.find_element(By.CSS_SELECTOR, "button[type=submit]")
    assert button.value_of_css_property("background-color") in ("rgba(10, 125, 85, 1)", "rgb(10, 125, 85)")
    shot(browser, "branded-sign-in")
    assert csp_violations(browser) == [] and csp_reports(server, 204) == 0


def test_the_account_page_code_forms_meet_the_limiter(start_server):
    server = start_server(TWO_FACTOR_TEMP_MAX="1", TWO_FACTOR_TEMP_WINDOW="1")
    register(server, "lim@example.com")
    client = browser()
    assert sign_in(server, client, "lim@example.com").status_code == 303
    r = client.post(server.url("/account/2fa/enable"), data={"csrf": csrf(client.get(server.url("/account")).text)})
    secret = re.search(r'<code id="secret">([A-Z2-7]+)</code>', r.text).group(1)
    r = client.post(server.url("/account/2fa/confirm"), data={"csrf": csrf(r.text), "token": "000000"})
    assert r.status_code == 400
    r = client.post(server.url("/account/2fa/confirm"), data={"csrf": csrf(r.text), "token": pyotp.TOTP(secret).now()})
    assert r.status_code == 429 and "Too many verification attempts" in r.text and r.headers["Retry-After"]
    assert ">off<" in r.text


def test_every_form_shows_its_errors_next_to_the_fields_and_changes_nothing(start_server):
    server = start_server(ALLOW_PASSWORD_RESET="true")
    setup_code = re.search(r"with the setup code ([A-Z2-7-]+)", server.logs()).group(1)
    client = browser()
    token = csrf(client.get(server.url("/setup")).text)
    r = client.post(server.url("/setup"), data={"csrf": token, "code": "WRONG-CODE", "name": "Admin",
                                                "email": "admin@example.com", "password": PASSWORD, "confirm_password": PASSWORD})
    assert r.status_code == 403 and "not the one in the server's log" in field_error(r.text, "code")
    assert "Please check the fields marked below." in r.text
    r = client.post(server.url("/setup"), data={"csrf": token, "code": setup_code, "name": "A", "email": "nope",
                                                "password": "short", "confirm_password": "short"})
    assert r.status_code == 400 and "at least 3" in field_error(r.text, "name")
    assert field_error(r.text, "email") == "Invalid email" and "at least 8" in field_error(r.text, "password")
    assert requests.get(server.url("/setup")).status_code == 200  # nothing created: the page is still there
    register(server, "first@example.com")

    token = csrf(client.get(server.url("/register")).text)
    r = client.post(server.url("/register"), data={"csrf": token, "name": "Ana", "username": "a<b", "email": "ana@example",
                                                   "password": PASSWORD, "confirm_password": PASSWORD + "!"})
    assert r.status_code == 400 and field_error(r.text, "name") is None
    assert "injection" in field_error(r.text, "username") and field_error(r.text, "email") == "Invalid email"
    assert "did not match" in field_error(r.text, "confirm_password") and field_error(r.text, "password") is None
    assert 'value="Ana"' in r.text  # what was typed stays (never the passwords)
    assert requests.post(server.url("/api/auth/login"), json={"email": "ana@example", "password": PASSWORD}).status_code in (400, 404)

    r = client.post(server.url("/login"), data={"csrf": token, "email": "not-an-email", "password": PASSWORD})
    assert r.status_code == 400 and field_error(r.text, "email") == "Invalid email"
    r = client.post(server.url("/login"), data={"csrf": token, "email": "first@example.com", "password": "wrong password"})
    # Which of the two was wrong is not said: the message stays above the form, no field is marked.
    assert r.status_code == 401 and "Incorrect email or password." in r.text and 'aria-invalid="true"' not in r.text

    r = client.post(server.url("/reset-password"), data={"csrf": token, "token": "x", "userId": "y", "password": "short",
                                                         "confirm_password": "short"})
    assert r.status_code == 400 and "at least 8" in field_error(r.text, "password")

    api = requests.post(server.url("/api/auth/login"), json={"email": "first@example.com", "password": PASSWORD}).json()
    auth = {"Authorization": f"Bearer {api['token']}"}
    url = requests.post(server.url("/api/auth/2fa/enable"), headers=auth, json={}).json()["otpauthUrl"]
    totp = pyotp.TOTP(re.search(r"secret=([A-Z2-7]+)", url).group(1))
    assert requests.post(server.url("/api/auth/2fa/confirm"), headers=auth, json={"token": totp.now()}).status_code == 200
    phone = browser()
    assert sign_in(server, phone, "first@example.com").headers["Location"] == "/login/2fa"
    token = csrf(phone.get(server.url("/login/2fa")).text)
    r = phone.post(server.url("/login/2fa"), data={"csrf": token, "token": "000000"})
    assert r.status_code == 401 and field_error(r.text, "token") == "Invalid 2FA code or backup code"
    assert "refreshToken" not in phone.cookies
    r = phone.post(server.url("/login/2fa"), data={"csrf": token, "token": totp.at(time.time() + 30)}, allow_redirects=False)
    assert r.status_code == 303
    page = phone.get(server.url("/account")).text
    r = phone.post(server.url("/account/2fa/disable"), data={"csrf": csrf(page), "token": "000000"})
    assert r.status_code == 401 and "Invalid token" in field_error(r.text, "disable_token") and ">on<" in r.text
    r = phone.post(server.url("/account/2fa/backup"), data={"csrf": csrf(page), "token": ""})
    assert r.status_code == 400 and "Enter a code" in field_error(r.text, "backup_token")
    r = phone.post(server.url("/account/password"), data={"csrf": csrf(page), "current_password": PASSWORD,
                                                          "password": "short", "confirm_password": "other"})
    assert r.status_code == 400 and "at least 8" in field_error(r.text, "password")
    assert "did not match" in field_error(r.text, "confirm_password")
    assert requests.post(server.url("/api/auth/login"), json={"email": "first@example.com", "password": PASSWORD}).status_code == 200
