"""What a generated document must show, read back as text (from the DOCX or from the PDF)."""
from __future__ import annotations

from typing import Any

from workflow.domain.documents import DocumentRequest, Family


def expected(ctx: dict[str, Any], req: DocumentRequest) -> list[str]:
    """The header, the number, the place and date line, the names, the vote figures and the
    signature block, as the context wrote them."""
    out: list[str] = []
    family = req.issuer.family
    if family is Family.PARTY:
        out += ["ĐẢNG CỘNG SẢN VIỆT NAM", "*"]
    elif family is Family.STATE:
        out += ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
    out += ctx["issuer"]["name_lines"] if family is not Family.BALLOT else [ctx["issuer"]["name"]]
    out += [x for x in (ctx["number"], ctx["place_date"], ctx["type_name"]) if x]
    out += [v for v in ctx["signature"].values() if v]
    if ctx["verification"]["code"]:
        out.append(ctx["verification"]["code"])
    for key in ("person", "candidates", "counting_board", "members"):
        value = ctx.get(key)
        people = value if isinstance(value, list) else [value]
        for p in people:
            if isinstance(p, dict):
                out.append((p.get("person") or p)["name"])
    tallies = [ctx["tally"]] if isinstance(ctx.get("tally"), dict) else []
    tallies += [r["tally"] for r in ctx.get("results") or []]
    for t in tallies:
        out += [f"{t['collected']}", t["base_sentence"]]
        for row in t["rows"]:
            out.append(row["name"])
            out += [c["share"] for c in row["cells"]]
    if "agree_share" in ctx:
        out.append(ctx["agree_share"])
    return out


def missing(text: str, ctx: dict[str, Any], req: DocumentRequest) -> list[str]:
    return [s for s in expected(ctx, req) if " ".join(s.split()) not in text]


def wrong_family(text: str, req: DocumentRequest) -> list[str]:
    """The other family's title must not appear (the notice of old put the Party header on a
    People's Committee decision)."""
    other = {Family.PARTY: "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", Family.STATE: "ĐẢNG CỘNG SẢN VIỆT NAM"}
    bad = other.get(req.issuer.family)
    return [bad] if bad and bad in text else []
