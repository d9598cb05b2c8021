"""One exception family. Each error has a stable `code` (used by the CLI, the web pages and the
JSON API alike), an English `message` for logs, and `params` from which the web layer builds the
Vietnamese sentence. `fields` maps a form field to what is wrong with it."""
from __future__ import annotations


class WorkflowError(Exception):
    code = "error"
    http_status = 400

    def __init__(self, message: str, *, fields: dict[str, str] | None = None, **params):
        super().__init__(message)
        self.message = message
        self.fields = dict(fields or {})
        self.params = params

    def to_dict(self) -> dict:
        out = {"error": self.code, "message": self.message}
        if self.fields:
            out["fields"] = self.fields
        return out


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
