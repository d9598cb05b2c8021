"""The cases area: my work and the case list, opening a case, a case's page with the actions the
engine offers (one form each, posted to one route that reads the action table), the step's own
forms (fields, conference tally with its live figures, announcement), documents, printable records
and the announcements board. A route parses the request (web/forms.py), calls one use case with the
page's case version and the form's idempotency key, and redirects (success) or shows the page again
with the error in words (failure). No rule of the procedures lives here."""
from __future__ import annotations

from . import case_page, lists, printing, step_forms  # noqa: F401 - their routes, on the blueprint
from .blueprint import bp

__all__ = ["bp"]
