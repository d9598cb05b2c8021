"""Security headers on every response (the only set): scripts only from this site (no inline script,
no CDN); no framing; no MIME sniffing; pages of signed-in users are not cached.
A leaf module: it imports no blueprint and not the factory."""
from __future__ import annotations

from flask import Flask, request

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "font-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'self'; object-src 'none'; "
       "frame-ancestors 'none'")


def install(app: Flask) -> None:
    tls = bool(app.config.get("BEHIND_TLS"))

    @app.after_request
    def headers(resp):
        h = resp.headers
        h.setdefault("Content-Security-Policy", CSP)
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Referrer-Policy", "same-origin")
        h.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if tls:
            h.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if not request.path.startswith("/static/") and resp.mimetype in ("text/html", "application/json", "text/csv"):
            h.setdefault("Cache-Control", "no-store")
        return resp
