"""The web: pages, the JSON API and the command line over the engine's use cases. `create_app()` is
the factory: it opens the engine (workflow.usecases), installs the shared pieces (languages, sign-in,
CSRF, filters, THE error handler, security headers) and registers one blueprint per area (auth,
cases, audit, admin, account, api) and the CLI. Nothing imports this module back: the areas and the
leaf modules reach the engine through `web.engine.wf()`. No rule of the procedures lives in web/:
a route turns a request into one use-case call and a redirect, a page or JSON."""
from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask
from flask_bootstrap import Bootstrap5
from flask_wtf.csrf import CSRFProtect

from workflow.usecases.engine import Workflow

from . import auth_session, config, errors, formatting, i18n, security
from .account import bp as account_bp
from .admin import bp as admin_bp
from .api import bp as api_bp
from .audit import bp as audit_bp
from .auth import bp as auth_bp
from .cases import bp as cases_bp
from .cli import register as register_cli
from .engine import KEY


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=False)
    app.config.update(config.load(overrides))
    Path(app.config["INSTANCE_DIR"]).mkdir(parents=True, exist_ok=True)
    wf = Workflow.open(app.config["DATABASE_URL"], app.config["DEFINITIONS_DIR"],
                       synchronous=app.config["SQLITE_SYNCHRONOUS"], max_upload=app.config["MAX_UPLOAD_MB"] * 1024 * 1024)
    for err in wf.registry.errors:
        app.logger.warning("definition refused: %s", err.message)
    app.extensions[KEY] = wf
    logging.getLogger("alembic").setLevel(logging.WARNING)

    i18n.install(app)
    csrf = CSRFProtect(app)
    Bootstrap5(app)
    auth_session.install(app)
    formatting.install(app)
    errors.install(app)
    security.install(app)
    for bp in (auth_bp, cases_bp, audit_bp, admin_bp, account_bp, api_bp):
        app.register_blueprint(bp)
    csrf.exempt(api_bp)       # the API checks its own: a token, or the session cookie with X-CSRFToken
    register_cli(app)
    return app
