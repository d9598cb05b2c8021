"""One exception family. Each error has a stable `code` (the CLI, the web pages and the JSON API
alike), a message `key` with its `params` (from which the web builds a sentence in the reader's
language), and the English `message` rendered from the key's template in MESSAGES (for logs and
the API). `fields` maps a form field to its problem: a `Problem` is the English text of the
complaint (a str, as the API sends it) that also carries its own key and params. A param may be a definition's
text (vi and en: a condition's title): the English message takes its English, a page its language."""
from __future__ import annotations

import string
from typing import Any, Mapping

from .messages import MESSAGES


class _Formatter(string.Formatter):
    """str.format, with lists written as 'a, b' and mappings as 'a: x; b: y' (a parameter may be a
    list of names, or each count's problem)."""

    def format_field(self, value: Any, format_spec: str) -> str:
        if hasattr(value, "vi") and hasattr(value, "en"):      # a definition's text: English here
            value = value.en
        elif isinstance(value, Mapping):
            value = "; ".join(f"{k}: {v}" for k, v in value.items())
        elif isinstance(value, (list, tuple)):
            value = ", ".join(map(str, value))
        return super().format_field(value, format_spec)


_FORMAT = _Formatter()


def render(key: str, params: Mapping[str, Any]) -> str:
    """The English sentence of a message key."""
    return _FORMAT.vformat(MESSAGES[key], (), params)


class Problem(str):
    """What is wrong with one field: the English text, with the key and params it was made from."""
    key: str
    params: dict

    def __new__(cls, key: str, **params) -> "Problem":
        self = super().__new__(cls, render(key, params))
        self.key, self.params = key, params
        return self


class WorkflowError(Exception):
    code = "error"
    http_status = 400

    def __init__(self, key: str, *, fields: Mapping[str, Problem] | None = None, **params):
        self.key, self.params = key, params
        self.message = render(key, params)
        super().__init__(self.message)
        self.fields: dict[str, Problem] = dict(fields or {})

    def to_dict(self) -> dict:
        out = {"error": self.code, "message": self.message}
        if self.fields:
            out["fields"] = {k: str(v) for k, v in self.fields.items()}
        return out


def first_problem(fields: Mapping[str, Problem]) -> dict:
    """The params of a message that names the first problem among `fields` ({field}: {problem})."""
    field, problem = next(iter(fields.items()))
    return {"field": field, "problem": str(problem)}


class Forbidden(WorkflowError):
    code, http_status = "forbidden", 403


class NotFound(WorkflowError):
    code, http_status = "not_found", 404


class NotAllowed(WorkflowError):
    """The action is not valid in the case's current state."""
    code, http_status = "not_allowed", 409


class GuardFailed(WorkflowError):
    """Something that must be recorded before leaving the step is missing or does not pass."""
    code, http_status = "guard_failed", 422


class QuorumNotMet(WorkflowError):
    code, http_status = "quorum_not_met", 422


class InvalidTally(WorkflowError):
    code, http_status = "invalid_tally", 422


class FourEyes(WorkflowError):
    code, http_status = "four_eyes", 403


class VersionConflict(WorkflowError):
    code, http_status = "version_conflict", 409


class Validation(WorkflowError):
    code, http_status = "validation", 422


class DefinitionError(WorkflowError):
    """A procedure definition file is malformed; `message` names the file and the path in it."""
    code, http_status = "definition_invalid", 422


class AuthFailed(WorkflowError):
    code, http_status = "auth_failed", 401


ALL_CODES = sorted({c.code for c in (Forbidden, NotFound, NotAllowed, GuardFailed, QuorumNotMet,
                                       InvalidTally, FourEyes, VersionConflict, Validation,
                                       DefinitionError, AuthFailed)})
