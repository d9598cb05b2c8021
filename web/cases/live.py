"""The tally form's live figures in words: what the engine's rule made of the figures typed so far
(workflow.domain.tally.preview), as each candidate row's shares and verdict and a few lines beside the
form. The arithmetic is the engine's; this only says it."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _

from workflow.domain.tally import Preview, RowPreview

from ..errors import field_message
from ..formatting import fmt_percent
from ..i18n import BASE_NAMES, JUDGEMENT_NAMES, MEASURE_NAMES, N_, text, word

SHORT_PROBLEMS = {  # the counts' disagreements, said briefly beside the form (in full when saved)
    "tally.present": N_("Số có mặt lớn hơn số được triệu tập."),
    "tally.issued": N_("Số phiếu phát ra lớn hơn số có mặt."),
    "tally.collected": N_("Số phiếu thu về lớn hơn số phiếu phát ra."),
    "tally.valid_sum": N_("Hợp lệ + không hợp lệ khác số phiếu thu về."),
    "tally.nominations": N_("Tổng số phiếu giới thiệu vượt quá số phiếu hợp lệ."),
}
TONES = {"passed": "success", "selected": "success", "at_threshold": "warning", "runoff": "warning"}


@dataclass
class Live:
    rows: dict[int, dict] = field(default_factory=dict)       # row index -> {"shares": str, "badges": [(tone, text)]}
    summary: list[tuple[str, str]] = field(default_factory=list)     # (tone, sentence)


def _badges(r: RowPreview, p: Preview) -> list[tuple[str, str]]:
    rule, j = p.rule, r.judgement
    if r.over_valid:
        return [("danger", _("Tổng số phiếu vượt quá số phiếu hợp lệ"))]
    if j is None:
        return []
    if j.outcome is not None:
        title = rule.outcome_title(j.outcome)
        return [("danger" if j.outcome != rule.default_outcome else "success", text(title) if title else j.outcome)]
    badges = [(TONES.get(j.status, "secondary"), word(JUDGEMENT_NAMES, j.status))]
    if j.status == "selected":
        badges.append(("primary", _("nhiều phiếu nhất")))
    return badges


def _row(r: RowPreview, p: Preview) -> dict | None:
    if r.votes is None or not r.shares:
        return None
    shown = p.rule.measures[:1] if p.rule.mode == "nominate" else p.rule.measures
    shares = " · ".join((word(MEASURE_NAMES, m) + " " if len(shown) > 1 else "") + fmt_percent(r.shares[m])
                        for m in shown)
    return {"shares": shares, "badges": _badges(r, p)}


def _summary(p: Preview) -> list[tuple[str, str]]:
    out = []
    q = p.quorum
    if q is not None:
        out.append(("success", _("Đủ số lượng: có mặt %(p)s trên %(of)s (cần ít nhất %(n)s).", p=q.present,
                                 of=q.of, n=q.needed)) if q.met else
                   ("danger", _("Không đủ số lượng: có mặt %(p)s trên %(of)s (cần ít nhất %(n)s).", p=q.present,
                                of=q.of, n=q.needed)))
    if p.base:
        out.append(("", _("Tỷ lệ tính trên %(base)s: %(n)s.", base=word(BASE_NAMES, p.rule.base), n=p.base)))
        if p.needed is not None:
            out.append(("", _("Cần ít nhất %(n)s phiếu để đạt.", n=p.needed)))
    out += [("danger", _(SHORT_PROBLEMS[pr.key]) if pr.key in SHORT_PROBLEMS else field_message(pr))
            for pr in p.problems.values()]
    return out


def live(p: Preview) -> Live:
    rows = {i: _row(r, p) for i, r in enumerate(p.rows)}
    return Live({i: r for i, r in rows.items() if r is not None}, _summary(p))


def judged(p: Preview) -> dict:
    """The figures themselves (for a program; the page shows them in words)."""
    q = p.quorum
    return {"quorum": {"met": q.met, "present": q.present, "of": q.of, "needed": q.needed} if q else None,
            "base": p.base, "needed": p.needed, "problems": {k: v.key for k, v in p.problems.items()},
            "rows": [{"row": i, "over_valid": r.over_valid,
                      "shares": {m: f"{f.numerator}/{f.denominator}" for m, f in r.shares.items()},
                      "status": r.judgement.status if r.judgement else None,
                      "outcome": r.judgement.outcome if r.judgement else None}
                     for i, r in enumerate(p.rows) if r.votes is not None]}
