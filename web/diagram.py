"""The state diagram of a procedure, drawn server-side as inline SVG from the definition: the
steps as boxes in order, forward arrows between them, return arrows curving back on the right,
the current step lit. No library: a few rectangles, paths and text lines.
A leaf module: it imports no blueprint and not the factory."""
from __future__ import annotations

from flask_babel import gettext as _
from markupsafe import Markup, escape

from workflow.domain.definition import Definition

from .i18n import short_title, text

BOX_X, BOX_W, BOX_H, GAP, TOP = 8, 330, 62, 30, 8
LINE_CHARS = 31
FONT = 16


def _wrap(s: str, width: int = LINE_CHARS, lines: int = 2) -> list[str]:
    words, out, cur = s.split(), [], ""
    for w in words:
        if len(cur) + len(w) + (1 if cur else 0) <= width:
            cur = f"{cur} {w}" if cur else w
        else:
            if cur:
                out.append(cur)
            cur = w
        if len(out) == lines:
            break
    if cur and len(out) < lines:
        out.append(cur)
    shown = " ".join(out)
    if len(shown) < len(" ".join(words)) and out:
        last = out[-1]
        out[-1] = (last[: width - 1].rstrip() if len(last) >= width else last.rstrip(" ,.;:")) + "…"
    return out


def _lanes(spans: list[tuple[int, int]]) -> list[int]:
    """Give each return arc a lane so arcs over the same steps do not overlap."""
    order = sorted(range(len(spans)), key=lambda i: spans[i][1] - spans[i][0])
    taken: list[list[tuple[int, int]]] = []
    lane = [0] * len(spans)
    for i in order:
        lo, hi = spans[i]
        for n, used in enumerate(taken):
            if all(hi <= a or lo >= b for a, b in used):
                used.append((lo, hi))
                lane[i] = n
                break
        else:
            taken.append([(lo, hi)])
            lane[i] = len(taken) - 1
    return lane


ARROWS = ('<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
          'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#495057"/></marker>'
          '<marker id="arrow-back" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
          'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#b02a37"/></marker></defs>')
COLOURS = {"current": ("#0d6efd", "#0a58ca", "#ffffff", "#ffffff"),     # fill, stroke, ink, number
           "done": ("#d1e7dd", "#198754", "#0f5132", "#198754"),
           "todo": ("#f8f9fa", "#adb5bd", "#343a40", "#6c757d")}


def _y(i: int) -> float:
    return TOP + i * (BOX_H + GAP)


def _forward(a: int, b: int) -> str:
    x = BOX_X + BOX_W / 2
    if b == a + 1:
        return (f'<path d="M{x},{_y(a) + BOX_H} L{x},{_y(b) - 2}" class="sd-forward" stroke="#495057" '
                f'stroke-width="1.6" fill="none" marker-end="url(#arrow)"/>')
    # a forward jump over steps: curve on the left
    return (f'<path d="M{BOX_X},{_y(a) + BOX_H / 2} C{BOX_X - 30},{_y(a) + BOX_H / 2} '
            f'{BOX_X - 30},{_y(b) + BOX_H / 2} {BOX_X - 2},{_y(b) + BOX_H / 2}" stroke="#495057" '
            f'stroke-width="1.6" fill="none" marker-end="url(#arrow)"/>')


def _back(a: int, b: int, lane: int) -> str:
    x0, xl = BOX_X + BOX_W, BOX_X + BOX_W + 26 + lane * 20
    y0, y1 = _y(a) + BOX_H / 2 + 6, _y(b) + BOX_H / 2 - 6
    title = _("Trả lại: bước %(a)s về bước %(b)s", a=a + 1, b=b + 1)
    return (f'<path d="M{x0},{y0} C{xl + 8},{y0} {xl + 8},{y1} {x0 + 2},{y1}" class="sd-return" '
            f'stroke="#b02a37" stroke-width="1.4" stroke-dasharray="5 3" fill="none" '
            f'marker-end="url(#arrow-back)"><title>{escape(title)}</title></path>')


def _failed(i: int, t, d: Definition, index: dict[str, int]) -> str:
    """Where a failed gate leads: a dashed red mark on the box's lower edge, its outcome (or step) in its
    title; to another step, a dashed curve on the left."""
    x, y = BOX_X + BOX_W - 18, _y(i) + BOX_H - 4
    if t.end:
        o = d.outcome(t.end)
        title = _("Nếu không đạt: kết thúc với kết quả “%(o)s”", o=text(o.title) if o else t.end)
        return (f'<g class="sd-failed"><title>{escape(title)}</title>'
                f'<path d="M{x},{y} l0,{GAP - 8}" stroke="#b02a37" stroke-width="1.4" stroke-dasharray="3 3" '
                f'fill="none" marker-end="url(#arrow-back)"/>'
                f'<text x="{x - 6}" y="{y + GAP - 6}" text-anchor="end" font-size="12" fill="#b02a37">✕ '
                f'{escape(text(o.title) if o else t.end)}</text></g>')
    b = index[t.dest]
    title = _("Nếu không đạt: chuyển sang bước %(b)s", b=b + 1)
    return (f'<path d="M{BOX_X},{_y(i) + BOX_H - 10} C{BOX_X - 30},{_y(i) + BOX_H - 10} {BOX_X - 30},'
            f'{_y(b) + BOX_H / 2} {BOX_X - 2},{_y(b) + BOX_H / 2}" stroke="#b02a37" stroke-width="1.4" '
            f'stroke-dasharray="3 3" fill="none" marker-end="url(#arrow-back)"><title>{escape(title)}</title></path>')


def _box(i: int, s, state: str) -> str:
    fill, stroke, ink, num = COLOURS[state]
    y = _y(i)
    parts = [f'<g class="sd-step sd-{state}" data-step="{escape(s.key)}"><title>{escape(text(s.title))}</title>',
             f'<rect x="{BOX_X}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="8" fill="{fill}" '
             f'stroke="{stroke}" stroke-width="{2.5 if state == "current" else 1.2}"/>',
             f'<circle cx="{BOX_X + 22}" cy="{y + BOX_H / 2}" r="14" fill="none" stroke="{num}" stroke-width="1.5"/>',
             f'<text x="{BOX_X + 22}" y="{y + BOX_H / 2 + 5.5}" text-anchor="middle" font-size="{FONT}" '
             f'font-weight="700" fill="{num}">{"✓" if state == "done" else str(i + 1)}</text>']
    # the current step is drawn in bold, which is wider: wrap it sooner so it stays in its box
    lines = _wrap(short_title(s), LINE_CHARS - 4 if state == "current" else LINE_CHARS)
    top = y + BOX_H / 2 - (len(lines) - 1) * 9.5 + 5.5
    weight = "600" if state == "current" else "400"
    parts += [f'<text x="{BOX_X + 44}" y="{top + n * 19}" font-size="{FONT}" fill="{ink}" '
              f'font-weight="{weight}">{escape(line)}</text>' for n, line in enumerate(lines)]
    return "".join(parts) + "</g>"


def _end(end_y: float, finished: bool) -> str:
    fill, ink = ("#198754", "#ffffff") if finished else ("#ffffff", "#495057")
    return (f'<g class="sd-end"><rect x="{BOX_X + BOX_W / 2 - 65}" y="{end_y}" width="130" height="30" rx="15" '
            f'fill="{fill}" stroke="#198754" stroke-width="1.4"/>'
            f'<text x="{BOX_X + BOX_W / 2}" y="{end_y + 20.5}" text-anchor="middle" font-size="{FONT}" '
            f'fill="{ink}">{escape(_("Hoàn thành"))}</text></g>')


def state_diagram(d: Definition, current: str | None = None, done: set[str] | frozenset = frozenset(),
                  finished: bool = False) -> Markup:
    steps = list(d.steps)
    index = {s.key: i for i, s in enumerate(steps)}
    returns = [t for t in d.transitions if t.trigger == "return"]
    lanes = _lanes([(index[t.dest], index[t.source]) for t in returns])
    width = BOX_X + BOX_W + 34 + (max(lanes) + 1 if lanes else 0) * 20
    end_y = _y(len(steps))
    label = _("Sơ đồ các bước của quy trình %(title)s", title=text(d.title))
    parts = [f'<svg class="state-diagram" viewBox="0 0 {width} {end_y + 40}" width="{width}" '
             f'role="img" aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">', ARROWS]
    parts += [_forward(index[t.source], index[t.dest]) for t in d.transitions
              if t.trigger == "advance" and t.dest and t.when != "failed"]
    parts += [_failed(index[t.source], t, d, index) for t in d.transitions if t.when == "failed"]
    last = len(steps) - 1
    parts.append(f'<path d="M{BOX_X + BOX_W / 2},{_y(last) + BOX_H} L{BOX_X + BOX_W / 2},{end_y - 2}" '
                 f'stroke="#495057" stroke-width="1.6" fill="none" marker-end="url(#arrow)"/>')
    parts += [_back(index[t.source], index[t.dest], lane) for t, lane in zip(returns, lanes)]
    parts += [_box(i, s, "current" if s.key == current else "done" if s.key in done else "todo")
              for i, s in enumerate(steps)]
    parts += [_end(end_y, finished), "</svg>"]
    return Markup("".join(parts))
