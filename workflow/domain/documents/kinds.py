"""The table of document kinds, read from plain data (definitions/documents/kinds.yaml, which an
adapter loads): what each kind is called, which header families it takes, which fields it needs,
and which procedure steps produce it."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from .errors import DocumentError
from .formats import Family

FIELD_TYPES = frozenset({
    "string", "text", "integer", "boolean", "date", "datetime", "person", "people", "assignments",
    "conference", "tally", "results", "strings", "contents",
})
SIGNATURES = frozenset({"authority", "minutes", "counting-board", "none"})


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str
    required: bool
    label: Mapping[str, str]


@dataclass(frozen=True)
class DocumentKind:
    key: str
    title: Mapping[str, str]
    type_name: str  # the printed name of the kind: QUYẾT ĐỊNH, TỜ TRÌNH...
    code: str | None  # the kind's part of the number symbol (QĐ, TTr...); None: never numbered
    families: tuple[Family, ...]
    signature: str
    fields: Mapping[str, FieldSpec]
    applies_to: tuple[tuple[str, str], ...]  # (procedure key, step key)

    @property
    def is_ballot(self) -> bool:
        return self.families == (Family.BALLOT,)


def _fail(where: str, problem: str) -> DocumentError:
    return DocumentError("invalid_kinds", f"kinds.yaml: {where}: {problem}", where=where, problem=problem)


def _parse_fields(key: str, raw: Any) -> dict[str, FieldSpec]:
    if not isinstance(raw, Mapping):
        raise _fail(f"kinds.{key}.fields", "must be a mapping of field name to {type, required, label}")
    out = {}
    for name, spec in raw.items():
        where = f"kinds.{key}.fields.{name}"
        if not isinstance(spec, Mapping) or spec.get("type") not in FIELD_TYPES:
            raise _fail(where, f"type must be one of {', '.join(sorted(FIELD_TYPES))}")
        label = spec.get("label") or {}
        if not isinstance(label, Mapping) or not label.get("vi"):
            raise _fail(where, "needs a label with a Vietnamese text (vi)")
        out[name] = FieldSpec(name, spec["type"], bool(spec.get("required", False)), dict(label))
    return out


def _parse_kind(key: str, raw: Any) -> DocumentKind:
    if not isinstance(raw, Mapping):
        raise _fail(f"kinds.{key}", "must be a mapping")
    try:
        families = tuple(Family(f) for f in raw.get("families") or ())
    except ValueError:
        raise _fail(f"kinds.{key}.families", "each must be party, state or ballot") from None
    if not families or (Family.BALLOT in families and len(families) > 1):
        raise _fail(f"kinds.{key}.families", "party and/or state, or ballot alone")
    default_signature = "none" if families == (Family.BALLOT,) else "authority"
    signature = raw.get("signature", default_signature)
    if signature not in SIGNATURES:
        raise _fail(f"kinds.{key}.signature", f"one of {', '.join(sorted(SIGNATURES))}")
    for k in ("title", "type_name"):
        if not raw.get(k):
            raise _fail(f"kinds.{key}.{k}", "required")
    applies = []
    for i, a in enumerate(raw.get("applies_to") or ()):
        if not isinstance(a, Mapping) or not a.get("procedure") or not a.get("step"):
            raise _fail(f"kinds.{key}.applies_to[{i}]", "needs procedure and step")
        applies.append((str(a["procedure"]), str(a["step"])))
    return DocumentKind(key=key, title=dict(raw["title"]), type_name=str(raw["type_name"]),
                        code=raw.get("code"), families=families, signature=signature,
                        fields=_parse_fields(key, raw.get("fields") or {}), applies_to=tuple(applies))


def parse_kinds(data: Any) -> dict[str, DocumentKind]:
    """The kinds table from the parsed YAML; a malformed table is refused naming the path."""
    if not isinstance(data, Mapping) or not isinstance(data.get("kinds"), Mapping):
        raise _fail("kinds", "the file must hold a mapping `kinds`")
    return {str(k): _parse_kind(str(k), v) for k, v in data["kinds"].items()}


def kinds_for_procedure(kinds: Mapping[str, DocumentKind], procedure: str) -> list[tuple[str, str]]:
    """(step, kind) pairs a procedure's steps produce, in the table's order."""
    return [(step, k.key) for k in kinds.values() for proc, step in k.applies_to if proc == procedure]


def kind_of(kinds: Mapping[str, DocumentKind], key: str) -> DocumentKind:
    try:
        return kinds[key]
    except KeyError:
        raise DocumentError("unknown_kind", f"there is no document kind {key!r}", kind=key) from None
