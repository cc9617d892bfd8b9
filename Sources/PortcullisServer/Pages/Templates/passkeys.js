// Passkeys on the sign-in and account pages: fetch the options, run the browser's WebAuthn
// ceremony, post the result back as a form with the page's CSRF token. No other script runs.
"use strict";
(function () {
    function decode(text) {
        const base64 = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
        return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)).buffer;
    }
    function encode(buffer) {
        let text = "";
        for (const byte of new Uint8Array(buffer)) text += String.fromCharCode(byte);
        return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    }
    async function post(path, fields) {
        const response = await fetch(path, {
            method: "POST", credentials: "same-origin", body: new URLSearchParams(fields),
            headers: { "Content-Type": "application/x-www-form-urlencoded" },
        });
        let body = {};
        try { body = await response.json(); } catch (ignored) { /* not JSON: a generic message */ }
        if (!response.ok) throw new Error(body.message || "Something went wrong. Please try again.");
        return body;
    }
    function report(status, error) {
        status.textContent = error.name === "NotAllowedError"
            ? "No passkey was used (cancelled, timed out, or none for this site)."
            : error.message;
        status.hidden = false;
        status.focus();
    }
    function supported(status) {
        if (window.PublicKeyCredential && navigator.credentials) return true;
        report(status, new Error("This browser does not support passkeys."));
        return false;
    }

    const add = document.getElementById("passkey-add");
    if (add) add.addEventListener("submit", async (event) => {
        event.preventDefault();
        const status = document.getElementById("passkey-status");
        if (!supported(status)) return;
        const csrf = add.elements.csrf.value;
        try {
            const { publicKey } = await post("/account/passkeys/options", { csrf });
            publicKey.challenge = decode(publicKey.challenge);
            publicKey.user.id = decode(publicKey.user.id);
            publicKey.excludeCredentials = publicKey.excludeCredentials.map((c) => ({ ...c, id: decode(c.id) }));
            const credential = await navigator.credentials.create({ publicKey });
            await post("/account/passkeys", {
                csrf, name: add.elements.name.value, id: encode(credential.rawId),
                clientDataJSON: encode(credential.response.clientDataJSON),
                attestationObject: encode(credential.response.attestationObject),
            });
            window.location.assign("/account#passkeys");
            window.location.reload();
        } catch (error) {
            report(status, error);
        }
    });

    const signIn = document.getElementById("passkey-signin");
    if (signIn) signIn.addEventListener("click", async () => {
        const form = signIn.form;
        const status = document.getElementById("passkey-status");
        if (!supported(status)) return;
        const csrf = form.elements.csrf.value;
        // With an email typed in, that account's passkeys are offered; without, any passkey for this site.
        const email = form.elements.email.value.trim();
        try {
            const { publicKey } = await post("/login/passkey/options", { csrf, email });
            publicKey.challenge = decode(publicKey.challenge);
            publicKey.allowCredentials = publicKey.allowCredentials.map((c) => ({ ...c, id: decode(c.id) }));
            const credential = await navigator.credentials.get({ publicKey });
            const response = credential.response;
            await post("/login/passkey", {
                csrf, email, id: encode(credential.rawId), clientDataJSON: encode(response.clientDataJSON),
                authenticatorData: encode(response.authenticatorData), signature: encode(response.signature),
                userHandle: response.userHandle ? encode(response.userHandle) : "",
            });
            window.location.assign("/");
        } catch (error) {
            report(status, error);
        }
    });
})();
