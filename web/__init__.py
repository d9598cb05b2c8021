"""The Flask application: create_app() wires the engine (workflow.Workflow) into the web pages,
the JSON API and the CLI. No rule lives here: every action calls one service method."""
from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask, current_app

from workflow.usecases.engine import Workflow

from . import config as config_module


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=False)
    app.config.update(config_module.load(overrides))
    Path(app.config["INSTANCE_DIR"]).mkdir(parents=True, exist_ok=True)
    wf = Workflow.open(app.config["DATABASE_URL"], app.config["DEFINITIONS_DIR"],
                       synchronous=app.config["SQLITE_SYNCHRONOUS"], max_upload=app.config["MAX_UPLOAD_MB"] * 1024 * 1024)
    for err in wf.registry.errors:
        app.logger.warning("definition refused: %s", err.message)
    app.extensions["cadreflow"] = wf
    logging.getLogger("alembic").setLevel(logging.WARNING)

    from .cli import register as register_cli
    register_cli(app)
    from .site import init_site
    init_site(app)
    from .api import init_api, json_errors
    init_api(app)
    json_errors(app)
    from .security import init_security
    init_security(app)
    return app


def workflow() -> Workflow:
    """The engine of the running application."""
    return current_app.extensions["cadreflow"]
