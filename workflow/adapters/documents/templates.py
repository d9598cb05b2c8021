"""Where the DOCX templates and the kinds table are read from, and the check a template passes
before it is used: a DOCX that Jinja can parse, whose every placeholder the kind's context has.

Phase 2 puts a per-unit, versioned store behind `TemplateSource`; the shipped folder is the
default and the fallback."""
from __future__ import annotations

import io
import zipfile
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import yaml
from docx.opc.exceptions import PackageNotFoundError
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from workflow.domain.documents import (DocumentError, DocumentKind, Family, build_context, parse_kinds, placeholders,
                                       specimen)

SHIPPED = Path(__file__).resolve().parents[3] / "definitions" / "documents"
ADAPTER_NAMES = frozenset({"qr"})  # what the renderer adds to the domain's context


@lru_cache(maxsize=4)
def load_kinds(folder: Path = SHIPPED) -> dict[str, DocumentKind]:
    path = Path(folder) / "kinds.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise DocumentError("invalid_kinds", f"{path}: {e}") from e
    return parse_kinds(data)


class TemplateSource(Protocol):
    def template(self, kind: str, family: Family) -> bytes: ...


class FolderTemplates:
    """The shipped templates: `<kind>.<family>.docx` in one folder."""

    def __init__(self, folder: Path = SHIPPED):
        self.folder = Path(folder)

    def template(self, kind: str, family: Family) -> bytes:
        path = self.folder / f"{kind}.{family.value}.docx"
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise DocumentError("template_missing", f"there is no template {path.name}", kind=kind,
                                family=family.value) from None


def jinja_env() -> SandboxedEnvironment:
    """Templates come from administrators: sandboxed, every name must exist, values escaped for XML."""
    return SandboxedEnvironment(undefined=StrictUndefined, autoescape=True)


def open_template(data: bytes) -> DocxTemplate:
    try:
        tpl = DocxTemplate(io.BytesIO(data))
        tpl.init_docx()
    except (zipfile.BadZipFile, KeyError, PackageNotFoundError, ValueError) as e:
        raise DocumentError("template_invalid", "the file is not a Word document (.docx)") from e
    return tpl


def check_template(data: bytes, kind: DocumentKind, family: Family) -> None:
    """Refuse a template that is not a DOCX, whose Jinja does not parse, or that names a
    placeholder the kind does not have (naming it). The template is also rendered once with the
    kind's specimen, which catches a misspelt attribute (`person.nmae`)."""
    tpl = open_template(data)
    try:
        used = tpl.get_undeclared_template_variables(jinja_env=jinja_env())
    except TemplateSyntaxError as e:
        raise DocumentError("template_syntax", f"the template's placeholders do not parse: {e.message}",
                            problem=str(e.message)) from e
    sample = specimen(kind, family)
    unknown = sorted(used - placeholders(kind, sample) - ADAPTER_NAMES)
    if unknown:
        raise DocumentError("unknown_placeholder", f"unknown placeholder(s) in the {kind.key} template: "
                            + ", ".join(unknown), names=unknown, kind=kind.key)
    render_template(data, build_context(sample, kind), qr_png=None)  # a misspelt attribute fails here


def render_template(data: bytes, context: dict, qr_png: bytes | None) -> bytes:
    """The DOCX of one document: the template filled with the context (and the QR image)."""
    tpl = open_template(data)
    ctx = dict(context)
    ctx["qr"] = InlineImage(tpl, io.BytesIO(qr_png), width=Mm(16)) if qr_png else ""
    try:
        tpl.render(ctx, jinja_env=jinja_env(), autoescape=True)
    except SecurityError as e:
        raise DocumentError("template_unsafe", f"the template reaches for something it may not: {e}") from e
    except UndefinedError as e:
        raise DocumentError("unknown_placeholder", f"the template uses a placeholder that does not exist: "
                            f"{e.message}", names=[str(e.message)]) from e
    except TemplateError as e:
        raise DocumentError("template_syntax", f"the template's placeholders do not parse: {e.message}") from e
    out = io.BytesIO()
    tpl.save(out)
    return out.getvalue()
