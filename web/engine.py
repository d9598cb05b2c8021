"""The running application's engine: the `Workflow` (workflow.usecases) the factory put on the app.
Routes reach the use cases through `wf()`. A leaf module: it imports no blueprint and not the factory."""
from __future__ import annotations

from flask import current_app

from workflow.usecases.engine import Workflow

KEY = "cadreflow"     # where the factory keeps it: app.extensions[KEY]


def wf() -> Workflow:
    return current_app.extensions[KEY]
