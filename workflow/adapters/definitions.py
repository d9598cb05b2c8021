"""Procedure definitions read from YAML files (definitions/*.yaml, checked against
definitions/schema.json) into the domain's frozen Definitions (workflow/domain/definition.py)."""
from __future__ import annotations

import json
from pathlib import Path

import yaml

from ..domain.definition import Definition, Registry
from ..domain.language import parse
from ..domain.errors import DefinitionError, Problem

# libyaml's C parser when PyYAML was built with it (the wheels are): ~10× faster, same results
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
SCHEMA_PATH = Path(__file__).resolve().parent.parent.parent / "definitions" / "schema.json"
_schema: dict | None = None


def schema() -> dict:
    global _schema
    if _schema is None:
        _schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return _schema


def parse_text(text: str, name: str = "<definition>") -> Definition:
    """Parse and check one definition from YAML text."""
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(YAML)"
        raise DefinitionError("definition.invalid", file=name, path=where,
                              what=Problem("definition.yaml", problem=getattr(e, "problem", None) or e)) from None
    except ValueError as e:                        # PyYAML: an unquoted impossible date (2025-02-30)
        raise DefinitionError("definition.invalid", file=name, path="(YAML)",
                              what=Problem("definition.yaml_date", problem=e)) from None
    return parse(data, name, schema=schema(), raw=text)


def load_file(path: str | Path) -> Definition:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise DefinitionError("definition.unreadable", file=path.name, problem=e) from e
    d = parse_text(text, path.name)
    expected = f"{d.key}.v{d.version}.yaml"
    if path.name != expected and path.suffix in (".yaml", ".yml"):
        raise DefinitionError("definition.file_name", file=path.name, expected=expected, procedure=d.key,
                              version=d.version)
    return d


def load_folder(folder: str | Path) -> Registry:
    """Every valid definition in a folder; the files that fail are kept as the registry's errors."""
    reg = Registry()
    for f in sorted(Path(folder).glob("*.yaml")):
        try:
            reg.add(load_file(f))
        except DefinitionError as e:
            reg.errors.append(e)
    return reg
