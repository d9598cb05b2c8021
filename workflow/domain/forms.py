"""A step's form: submitted values checked and normalised against the step's fields; what must be
filled in (and what must be 'yes') before the step can be left; and the announcement of a
decision, which has fixed fields."""
from __future__ import annotations

from typing import Any, Callable, Mapping

from . import parse
from .definition import Field, Step
from .errors import Problem, Validation, first_problem

MAX_STRING, MAX_TEXT, MAX_NAME, MAX_NAMES = 300, 20_000, 200, 500
ANNOUNCEMENT = (("decision_no", "string", True), ("date", "date", True), ("signer", "string", True),
                ("place", "string", False), ("text", "text", True))


def _text(v: Any, f: Field | None, *, limit: int = MAX_TEXT, one_line: bool = False) -> str:
    if not isinstance(v, (str, int, float)) or isinstance(v, bool):
        raise parse.Invalid(Problem("field.text"))
    s = parse.text(v).strip()
    if len(s) > limit:
        raise parse.Invalid(Problem("field.at_most", n=limit))
    if one_line and ("\n" in s or "\r" in s):
        raise parse.Invalid(Problem("field.single_line"))
    return s


def _integer(v: Any, f: Field | None) -> int:
    n = parse.whole_number(v, signed=True, digits=9)
    if abs(n) > 10**9:
        raise parse.Invalid(Problem("field.whole_number"))
    return n


def _choice(v: Any, f: Field) -> str:
    keys = [c.key for c in f.choices]
    if str(v) not in keys:
        raise parse.Invalid(Problem("field.one_of", choices=keys))
    return str(v)


def _names(v: Any, f: Field | None) -> list[str]:
    items = v.splitlines() if isinstance(v, str) else v
    if not isinstance(items, (list, tuple)):
        raise parse.Invalid(Problem("field.names"))
    names: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise parse.Invalid(Problem("field.names"))
        n = parse.line(item)
        if not n:
            continue
        if len(n) > MAX_NAME:
            raise parse.Invalid(Problem("field.name_length", n=MAX_NAME))
        if n in names:
            raise parse.Invalid(Problem("field.name_twice", name=n))
        names.append(n)
    if not names:
        raise parse.Invalid(Problem("field.one_name"))
    if len(names) > MAX_NAMES:
        raise parse.Invalid(Problem("field.many_names", n=MAX_NAMES))
    return names


CLEANERS: dict[str, Callable[[Any, Field | None], Any]] = {
    "string": lambda v, f: _text(v, f, limit=MAX_STRING, one_line=True),
    "text": _text,
    "integer": _integer,
    "date": lambda v, f: parse.date(v),
    "boolean": lambda v, f: parse.boolean(v),
    "choice": _choice,
    "candidates": _names,
}


def clean_value(kind: str, v: Any, f: Field | None = None) -> Any:
    """One value of a field of type `kind`, normalised; raises parse.Invalid."""
    cleaner = CLEANERS.get(kind)
    if cleaner is None:
        raise parse.Invalid(Problem("field.unknown_type", kind=kind))
    return cleaner(v, f)


def _empty(v: Any) -> bool:
    return v is None or v == "" or v == []


def clean_form(step: Step, values: Mapping[str, Any]) -> dict[str, Any]:
    """Check and normalise submitted form values against the step's fields. Empty values are
    dropped (a partial save is allowed; required fields are checked when leaving the step)."""
    if not isinstance(values, Mapping):
        raise Validation("form.not_mapping", fields={"fields": Problem("field.mapping")})
    errors: dict[str, Problem] = {}
    out: dict[str, Any] = {}
    known = {f.key: f for f in step.form}
    for key, v in values.items():
        f = known.get(key)
        if f is None:
            errors[str(key)] = Problem("field.unknown", field=key)
            continue
        if _empty(v):
            continue
        try:
            out[key] = clean_value(f.type, v, f)
        except parse.Invalid as e:
            errors[key] = e.problem
    if errors:
        raise Validation("form.invalid", fields=errors, **first_problem(errors))
    return out


def merge_form(before: Mapping[str, Any], submitted: Mapping[str, Any], clean: Mapping[str, Any]) -> dict:
    """The form after a save: the cleaned values laid over what was there; a field submitted empty
    is cleared."""
    merged = {**before, **clean}
    for k, v in submitted.items():
        if k in merged and _empty(v) and k not in clean:
            merged.pop(k)
    return merged


def check_ranges(step: Step, values: Mapping[str, Any], read: Callable[[Any], Any]) -> None:
    """The fields' ranges on the form as it would be saved: integers within their minimum and
    maximum, dates not before or after another recorded date (`read(ref)`: its value, this form's
    own fields as submitted). Refused beside the field."""
    if not step.ranged:
        return
    errors: dict[str, Problem] = {}
    for f in step.form:
        v = values.get(f.key)
        if v is None or v == "":
            continue
        if f.min is not None and v < f.min:
            errors[f.key] = Problem("field.min", min=f.min)
        elif f.max is not None and v > f.max:
            errors[f.key] = Problem("field.max", max=f.max)
        for ref, key, bad in ((f.not_before, "field.not_before", lambda a, b: a < b),
                              (f.not_after, "field.not_after", lambda a, b: a > b)):
            other = values.get(ref.field) if ref is not None and ref.step in (None, step.key) else (
                read(ref) if ref is not None else None)
            if other and bad(str(v), str(other)):
                errors[f.key] = Problem(key, date=str(other), other=ref.field)
    if errors:
        raise Validation("form.invalid", fields=errors, **first_problem(errors))


def missing_fields(step: Step, values: Mapping[str, Any]) -> list[str]:
    return [f.key for f in step.form if f.required and values.get(f.key) in (None, "", [])
            and not (f.type == "boolean" and values.get(f.key) is False)]


def false_required_booleans(step: Step, values: Mapping[str, Any]) -> list[str]:
    """A required yes/no field is a condition that must hold (e.g. 'in the plan'): 'no' blocks."""
    return [f.key for f in step.form if f.required and f.type == "boolean" and values.get(f.key) is False]


def clean_announcement(raw: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise Validation("announcement.not_mapping", fields={"announcement": Problem("field.mapping")})
    errors: dict[str, Problem] = {}
    out: dict[str, Any] = {}
    for key, kind, required in ANNOUNCEMENT:
        v = raw.get(key)
        if v in (None, ""):
            if required:
                errors[key] = Problem("field.required")
            continue
        try:
            out[key] = clean_value(kind, v)
        except parse.Invalid as e:
            errors[key] = e.problem
    if errors:
        raise Validation("form.invalid", fields=errors, **first_problem(errors))
    return out
