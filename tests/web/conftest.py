"""Fixtures of the web tests: see web_support.py."""
from web_support import (app, browser, definitions, make_app, org, template_db, wf)  # noqa: F401
