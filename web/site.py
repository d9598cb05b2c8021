"""Placeholder site until the web blueprints land: a single status page."""
from flask import Flask


def init_site(app: Flask) -> None:
    @app.get("/")
    def index():
        wf = app.extensions["cadreflow"]
        defs = "".join(f"<li>{d.title.vi} (v{d.version})</li>" for d in wf.registry.latest())
        return f"<!doctype html><meta charset=utf-8><title>cadreflow</title><h1>cadreflow</h1><ul>{defs}</ul>"
