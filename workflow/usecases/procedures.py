"""Checking procedure definition files (the CLI's `definitions validate`)."""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from ..adapters.definitions import load_file
from ..domain.definition import Definition, Registry
from ..domain.errors import DefinitionError


def check_files(paths: Iterable[str | Path]) -> list[tuple[Path, Definition | DefinitionError]]:
    """Each file with its definition, or what is wrong with it (a version defined twice included)."""
    seen, out = Registry(), []
    for p in map(Path, paths):
        try:
            d = load_file(p)
            seen.add(d)
            out.append((p, d))
        except DefinitionError as e:
            out.append((p, e))
    return out
