"""Writes the shipped DOCX templates of this folder from scratch (python-docx).

The DOCX files are the source an administrator downloads, edits in Word or LibreOffice and uploads
again; this script only made the defaults, and running it again overwrites every `*.docx` here.
    .venv/bin/python -m definitions.documents.build

Layout (README.md cites the rules): A4, margins top 20 mm, bottom 20 mm, left 30 mm, right 15 mm;
Times New Roman; the issuing block at the left, the Party title or the national title at the
right, the date line under it; the kind's name and the subject; the body at 14 pt, justified, first
line indented 10 mm, 6 pt between paragraphs; "Nơi nhận" at the left and the signature at the
right; page numbers at the top centre from page 2; the verification code and its QR in the footer.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from docx import Document
from docx.enum.table import WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

HERE = Path(__file__).resolve().parent
FONT = "Times New Roman"
TEXT_WIDTH = Mm(165)  # 210 - 30 - 15
C, L, R, J = (WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.LEFT, WD_ALIGN_PARAGRAPH.RIGHT,
              WD_ALIGN_PARAGRAPH.JUSTIFY)


@dataclass(frozen=True)
class Sizes:
    """Font sizes per family: 36-HD/VPTW Phụ lục 3 (Party), NĐ 30/2020 Phụ lục I (State)."""

    title: int  # ĐẢNG CỘNG SẢN VIỆT NAM 15 / CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM 13
    issuer: int  # 14 / 13
    type_name: int  # 16 / 14
    body: int  # 14 / 14
    recipients_head: int  # 14 / 12
    recipients: int  # 12 / 11


PARTY = Sizes(title=15, issuer=14, type_name=16, body=14, recipients_head=14, recipients=12)
STATE = Sizes(title=13, issuer=13, type_name=14, body=14, recipients_head=12, recipients=11)


class Sheet:
    """A template being written: paragraphs of runs, with Jinja tags as plain text."""

    def __init__(self, sizes: Sizes | None):
        self.doc = Document()
        self.sizes = sizes or PARTY
        self._page()
        self._styles()

    def _page(self) -> None:
        s = self.doc.sections[0]
        s.page_width, s.page_height = Mm(210), Mm(297)
        s.top_margin, s.bottom_margin, s.left_margin, s.right_margin = Mm(20), Mm(20), Mm(30), Mm(15)
        s.header_distance, s.footer_distance = Mm(10), Mm(8)

    def _styles(self) -> None:
        normal = self.doc.styles["Normal"]
        normal.font.name, normal.font.size = FONT, Pt(self.sizes.body)
        fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
        for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
            fonts.set(qn(attr), FONT)
        pf = normal.paragraph_format
        pf.space_before, pf.space_after, pf.line_spacing = Pt(0), Pt(0), 1.0

    # --- paragraphs ------------------------------------------------------------------------
    def para(self, *runs, align=J, indent=True, after=6, size=None, container=None, keep=False):
        """A paragraph; each run is text or (text, 'biu') with b(old) i(talic) u(nderline)."""
        p = (container or self.doc).add_paragraph()
        p.alignment = align
        pf = p.paragraph_format
        pf.first_line_indent = Mm(10) if (indent and align == J) else None
        pf.space_after, pf.keep_with_next = Pt(after), keep
        for r in runs:
            text, style = (r, "") if isinstance(r, str) else r
            run = p.add_run(text)
            run.bold, run.italic, run.underline = "b" in style or None, "i" in style or None, "u" in style or None
            run.font.size = Pt(size or self.sizes.body)
        return p

    def tag(self, jinja: str, container=None) -> None:
        """A paragraph holding only a `{%p ... %}` tag: docxtpl removes it when rendering."""
        p = (container or self.doc).add_paragraph(f"{{%p {jinja} %}}")
        p.paragraph_format.space_after = Pt(0)

    def page_break(self) -> None:
        self.doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    def line(self, width_mm: float, container=None, after=0, size=4):
        """A centred horizontal rule of a given length (a drawn line, not an underline): an empty
        paragraph with a top border, indented to that width."""
        p = (container or self.doc).add_paragraph()
        cell_width = _width_of(container) if container is not None else TEXT_WIDTH
        side = max((cell_width - Mm(width_mm)) / 2, 0)
        pf = p.paragraph_format
        pf.left_indent, pf.right_indent = int(side), int(side)
        pf.space_before, pf.space_after = Pt(3), Pt(after)
        p.add_run("").font.size = Pt(size)
        _border(p, "top")
        return p

    def table(self, widths_mm, rows=1, grid=False):
        t = self.doc.add_table(rows=rows, cols=len(widths_mm))
        t.alignment = WD_TABLE_ALIGNMENT.CENTER
        t.autofit = False
        if grid:
            t.style = self.doc.styles["Table Grid"]
        _widths(t, widths_mm)
        return t

    def save(self, name: str) -> Path:
        path = HERE / name
        self.doc.save(path)
        return path


def _widths(t, widths_mm) -> None:
    """Both the grid (what LibreOffice reads) and each cell (what Word reads)."""
    for col, w in zip(t.columns, widths_mm):
        col.width = Mm(w)
    for row in t.rows:
        for cell, w in zip(row.cells, widths_mm):
            cell.width = Mm(w)


def _width_of(cell) -> int:
    return cell.width or TEXT_WIDTH


def _border(p, side: str) -> None:
    # python-docx has no paragraph-border API: the w:pBdr element, through lxml on the public element
    para = p.paragraph_format.element
    ppr = para.find(qn("w:pPr"))
    if ppr is None:
        ppr = OxmlElement("w:pPr")
        para.insert(0, ppr)
    borders = OxmlElement("w:pBdr")
    edge = OxmlElement(f"w:{side}")
    for k, v in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        edge.set(qn(k), v)
    borders.append(edge)
    # Word wants pPr's children in the schema's order: pBdr after these, before the rest
    before = {qn(f"w:{t}") for t in ("pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr",
                                     "widowControl", "numPr", "suppressLineNumbers")}
    after = next((child for child in ppr if child.tag not in before), None)
    if after is None:
        ppr.append(borders)
    else:
        after.addprevious(borders)


def _field(paragraph, instruction: str) -> None:
    """A Word field (PAGE) as simple field XML: Word and LibreOffice both compute it."""
    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "2"
    run.append(text)
    fld.append(run)
    paragraph.paragraph_format.element.append(fld)


def _first_cell_text(cell, text: str, **kw) -> None:
    cell.paragraphs[0].text = ""
    p = cell.paragraphs[0]
    p.alignment = kw.get("align", C)
    run = p.add_run(text)
    run.bold = kw.get("bold")
    run.font.size = Pt(kw.get("size", 12))


# --- blocks every official document shares ---------------------------------------------------

def header_party(s: Sheet, numbered: bool = True) -> None:
    """36-HD/VPTW: issuing block at the left (superior plain, issuer bold, '*', the number); at the
    right the title ĐẢNG CỘNG SẢN VIỆT NAM underlined for its length, the date line below, italic."""
    t = s.table([68, 97])
    left, right = t.rows[0].cells
    left.paragraphs[0].text = "{%p if issuer.superior %}"
    s.para(("{{ issuer.superior }}", ""), align=C, after=0, size=s.sizes.issuer, container=left)
    s.tag("endif", container=left)
    s.tag("for line in issuer.name_lines", container=left)
    s.para(("{{ line }}", "b"), align=C, after=0, size=s.sizes.issuer, container=left)
    s.tag("endfor", container=left)
    s.para("*", align=C, after=0, size=s.sizes.issuer, container=left)
    if numbered:
        s.para("{{ number }}", align=C, after=0, size=s.sizes.issuer, container=left)
    right.paragraphs[0].alignment = C
    r = right.paragraphs[0].add_run("ĐẢNG CỘNG SẢN VIỆT NAM")
    r.bold, r.underline, r.font.size = True, True, Pt(s.sizes.title)
    s.para("", align=C, after=0, size=8, container=right)
    s.para(("{{ place_date }}", "i"), align=C, after=0, size=14, container=right)


def header_state(s: Sheet, numbered: bool = True) -> None:
    """NĐ 30/2020 Phụ lục I: issuing block at the left (the superior plain, the issuer bold, a short
    line under it, 'Số: …' below); the national title and motto at the right, bold, a line under the
    motto as long as it, the date line below, italic."""
    t = s.table([62, 103])
    left, right = t.rows[0].cells
    left.paragraphs[0].text = "{%p if issuer.superior %}"
    s.para("{{ issuer.superior }}", align=C, after=0, size=s.sizes.issuer, container=left)
    s.tag("endif", container=left)
    s.tag("for line in issuer.name_lines", container=left)
    s.para(("{{ line }}", "b"), align=C, after=0, size=s.sizes.issuer, container=left)
    s.tag("endfor", container=left)
    s.line(22, container=left, after=6)
    if numbered:
        s.para("{{ number }}", align=C, after=0, size=13, container=left)
    right.paragraphs[0].alignment = C
    r = right.paragraphs[0].add_run("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    r.bold, r.font.size = True, Pt(s.sizes.title)
    s.para(("Độc lập - Tự do - Hạnh phúc", "b"), align=C, after=0, size=14, container=right)
    s.line(66, container=right, after=6)
    s.para(("{{ place_date }}", "i"), align=C, after=0, size=14, container=right)


def header(s: Sheet, family: str, numbered: bool = True) -> None:
    (header_party if family == "party" else header_state)(s, numbered)


def title(s: Sheet, family: str, type_name: str, subject: str = "{{ subject }}") -> None:
    s.para("", after=0)
    s.para((type_name, "b"), align=C, after=0, size=s.sizes.type_name, keep=True)
    s.para((subject, "b"), align=C, after=0, size=14, keep=True)
    if family == "party":
        s.para("-----", align=C, after=12, keep=True)
    else:
        s.line(40, after=12)


def closing(s: Sheet, family: str, recipients: bool = True) -> None:
    """Nơi nhận at the left (Party: 14 underlined, items 12; State: 12 bold italic, items 11), the
    signature at the right: authority and post in capitals, a space to sign and seal, the name."""
    s.para("", after=0)
    t = s.table([75, 90])
    left, right = t.rows[0].cells
    left.paragraphs[0].text = ""
    if recipients:
        head = ("Nơi nhận:", "u") if family == "party" else ("Nơi nhận:", "bi")
        p = left.paragraphs[0]
        p.alignment = L
        run = p.add_run(head[0])
        run.underline = "u" in head[1] or None
        run.bold, run.italic = "b" in head[1] or None, "i" in head[1] or None
        run.font.size = Pt(s.sizes.recipients_head)
        s.tag("for line in recipients", container=left)
        s.para("{{ line }}", align=L, after=0, size=s.sizes.recipients, container=left)
        s.tag("endfor", container=left)
    right.paragraphs[0].text = "{%p if signature.authority %}"
    s.para(("{{ signature.authority }}", "b"), align=C, after=0, size=14, container=right)
    s.tag("endif", container=right)
    s.para(("{{ signature.title }}", "" if family == "party" else "b"), align=C, after=0, size=14,
           container=right)
    for _ in range(4):
        s.para("", align=C, after=0, container=right)
    s.para(("{{ signature.name }}", "b"), align=C, after=0, size=14, container=right)


def page_setup(s: Sheet, verification: bool = True) -> None:
    """Page numbers at the top centre from page 2 (first page: none); the verification code and its
    QR code in the footer of every page."""
    sec = s.doc.sections[0]
    sec.different_first_page_header_footer = True
    hp = sec.header.paragraphs[0]
    hp.alignment = C
    _field(hp, "PAGE")
    if verification:
        for footer in (sec.footer, sec.first_page_footer):
            footer.paragraphs[0].text = ""
            t = footer.add_table(rows=1, cols=2, width=TEXT_WIDTH)
            t.autofit = False
            _widths(t, [20, 145])
            qr, text = t.rows[0].cells
            qr.paragraphs[0].text = "{{ qr }}"
            p = text.paragraphs[0]
            p.alignment = L
            run = p.add_run("Mã xác thực: {{ verification.code }} — kiểm tra tại {{ verification.url }}")
            run.font.size = Pt(9)
            run.italic = True


# --- the bodies ------------------------------------------------------------------------------

def body_submission(s: Sheet, family: str) -> None:
    s.para("Kính gửi: {{ addressee }}", align=C, after=12)
    s.tag("for p in background")
    s.para("{{ p }}")
    s.tag("endfor")
    s.tag("if results")
    s.para("Kết quả thực hiện quy trình như sau:")
    s.tag("for r in results")
    s.para("- {{ r.conference.name }} ({{ r.conference.short_date }}): có mặt {{ r.tally.present }}/"
           "{{ r.tally.summoned }} đồng chí được triệu tập; phiếu thu về {{ r.tally.collected }}, "
           "hợp lệ {{ r.tally.valid }}. {{ r.tally.base_sentence }}")
    s.tag("for row in r.tally.rows")
    s.para("+ Đồng chí {{ row.name }}: {{ row.summary }}.")
    s.tag("endfor")
    s.tag("endfor")
    s.tag("endif")
    s.tag("for p in appraisal")
    s.para("{{ p }}")
    s.tag("endfor")
    s.tag("if differing_opinions")
    s.para(("Các ý kiến khác nhau:", "b"))
    s.tag("for p in differing_opinions")
    s.para("{{ p }}")
    s.tag("endfor")
    s.tag("endif")
    s.para("Từ kết quả trên, {{ issuer.text }} kính trình {{ addressee }} xem xét, quyết định {{ action }}:")
    s.tag("for c in candidates")
    s.para("- Đồng chí {{ c.described }}, giữ chức vụ {{ post }}.")
    s.tag("endfor")
    s.para("{{ issuer.text }} kính trình {{ addressee }} xem xét, quyết định" + (".", "./.")[family == "state"])


def body_conference_minutes(s: Sheet, family: str) -> None:
    s.para("Vào lúc {{ conference.time }}, {{ conference.date }}, tại {{ conference.place }}, "
           "{{ conference.name }} được tiến hành.")
    s.para("- Chủ trì: đồng chí {{ conference.chair.described }}.")
    s.para("- Thư ký: đồng chí {{ conference.secretary.described }}.")
    s.para("- Thành phần: tổng số người được triệu tập {{ summoned }} đồng chí; có mặt {{ present }} đồng chí; "
           "vắng mặt {{ absent_count }} đồng chí.")
    s.tag("for a in absent")
    s.para("+ {{ a }}.")
    s.tag("endfor")
    s.para(("I. NỘI DUNG HỘI NGHỊ", "b"), indent=False)
    s.tag("for p in agenda")
    s.para("{{ p }}")
    s.tag("endfor")
    s.tag("if proceedings")
    s.para(("II. DIỄN BIẾN HỘI NGHỊ", "b"), indent=False)
    s.tag("for p in proceedings")
    s.para("{{ p }}")
    s.tag("endfor")
    s.tag("endif")
    s.tag("if tally")
    s.para("Kết quả biểu quyết: có mặt {{ tally.present }}/{{ tally.summoned }} đồng chí; phiếu thu về "
           "{{ tally.collected }}, hợp lệ {{ tally.valid }}. {{ tally.base_sentence }}")
    s.tag("for row in tally.rows")
    s.para("+ Đồng chí {{ row.name }}: {{ row.summary }}.")
    s.tag("endfor")
    s.tag("endif")
    s.para(("{{ 'III' if proceedings else 'II' }}. KẾT LUẬN CỦA HỘI NGHỊ", "b"), indent=False)
    s.tag("for p in conclusions")
    s.para("{{ p }}")
    s.tag("endfor")
    s.para("Hội nghị kết thúc vào lúc {{ conference.ended }} cùng ngày. Biên bản đã được đọc lại trước hội "
           "nghị và được hội nghị thống nhất thông qua" + (".", "./.")[family == "state"])
    t = s.table([82, 83])
    for cell, head, who in zip(t.rows[0].cells, ("THƯ KÝ HỘI NGHỊ", "CHỦ TRÌ HỘI NGHỊ"),
                               ("conference.secretary.name", "conference.chair.name")):
        _first_cell_text(cell, head, bold=True, size=14)
        s.para(("(Ký, ghi rõ họ tên)", "i"), align=C, after=0, size=12, container=cell)
        for _ in range(4):
            s.para("", align=C, after=0, container=cell)
        s.para(("{{ " + who + " }}", "b"), align=C, after=0, container=cell)


def _tally_table(s: Sheet, columns: list[str], cells: list[str], with_outcome: bool) -> None:
    widths = [10, 50] + [int((105 - (25 if with_outcome else 0)) / len(columns))] * len(columns)
    widths += [25] if with_outcome else []
    heads = ["TT", "Họ và tên"] + columns + (["Kết quả"] if with_outcome else [])
    t = s.table(widths, rows=4, grid=True)
    for cell, h in zip(t.rows[0].cells, heads):
        _first_cell_text(cell, h, bold=True, size=12)
    _first_cell_text(t.rows[1].cells[0], "{%tr for row in tally.rows %}", size=12)
    values = ["{{ row.no }}", "{{ row.name }}{% if row.added %} (giới thiệu thêm){% endif %}"] + cells
    values += ["{{ row.outcome }}"] if with_outcome else []
    for i, (cell, v) in enumerate(zip(t.rows[2].cells, values)):
        _first_cell_text(cell, v, size=12, align=L if i == 1 else C)
    _first_cell_text(t.rows[3].cells[0], "{%tr endfor %}", size=12)


def body_vote_minutes(s: Sheet, family: str) -> None:
    s.para("Vào lúc {{ conference.time }}, {{ conference.date }}, tại {{ conference.place }}, Ban kiểm phiếu "
           "{{ conference.name }} gồm các đồng chí:")
    s.tag("for m in counting_board")
    s.para("{{ loop.index }}. Đồng chí {{ m.name }}{% if m.post %}, {{ m.post }}{% endif %} – "
           "{{ 'Trưởng ban' if loop.first else 'Thành viên' }};")
    s.tag("endfor")
    s.para("đã tiến hành kiểm phiếu {{ purpose }}. Kết quả như sau:", indent=False)
    s.para(("I. SỐ LIỆU CHUNG", "b"), indent=False)
    for label, key, unit in (("Tổng số người được triệu tập", "summoned", "đồng chí"),
                             ("Số người có mặt", "present", "đồng chí"), ("Số phiếu phát ra", "issued", "phiếu"),
                             ("Số phiếu thu về", "collected", "phiếu"), ("Số phiếu hợp lệ", "valid", "phiếu"),
                             ("Số phiếu không hợp lệ", "invalid", "phiếu")):
        s.para(f"- {label}: {{{{ tally.{key} }}}} {unit}.", after=0)
    s.tag("if tally.members")
    s.para("- Tổng số thành viên của tập thể: {{ tally.members }} đồng chí.", after=0)
    s.tag("endif")
    s.para("", after=0)
    s.para(("II. KẾT QUẢ KIỂM PHIẾU", "b"), indent=False)
    s.tag("if tally.scale == 'three_level'")
    _tally_table(s, ["Tín nhiệm cao", "Tỷ lệ", "Tín nhiệm", "Tỷ lệ", "Tín nhiệm thấp", "Tỷ lệ"],
                 [f"{{{{ row.cells[{i}].{k} }}}}" for i in range(3) for k in ("count", "share")], False)
    s.tag("elif tally.scale == 'nominate'")
    _tally_table(s, ["Số phiếu giới thiệu", "Tỷ lệ"], ["{{ row.cells[0].count }}", "{{ row.cells[0].share }}"], True)
    s.tag("else")
    _tally_table(s, ["Đồng ý", "Tỷ lệ", "Không đồng ý", "Tỷ lệ"],
                 [f"{{{{ row.cells[{i}].{k} }}}}" for i in range(2) for k in ("count", "share")], True)
    s.tag("endif")
    s.para(("{{ tally.base_sentence }}", "i"), size=12, indent=False)
    s.tag("if tally.announced")
    s.para("Biên bản kiểm phiếu lập xong vào lúc {{ conference.ended }} cùng ngày. {{ tally.announced_sentence }}")
    s.tag("else")
    s.para("Biên bản kiểm phiếu lập xong vào lúc {{ conference.ended }} cùng ngày. {{ tally.announced_sentence }} "
           "Biên bản này và toàn bộ phiếu được niêm phong, giao {{ sealed_to or "
           "'cơ quan tham mưu về tổ chức cán bộ' }} tổng hợp, báo cáo theo quy định.")
    s.tag("endif")
    t = s.table([82, 83])
    left, right = t.rows[0].cells
    _first_cell_text(left, "CÁC THÀNH VIÊN BAN KIỂM PHIẾU", bold=True, size=13)
    s.para(("(Ký, ghi rõ họ tên)", "i"), align=C, after=0, size=12, container=left)
    s.para("", after=0, container=left)
    s.tag("for m in board_members", container=left)
    s.para("", after=0, container=left)
    s.para("{{ m.name }}", align=C, after=6, container=left)
    s.tag("endfor", container=left)
    _first_cell_text(right, "TRƯỞNG BAN KIỂM PHIẾU", bold=True, size=13)
    s.para(("(Ký, ghi rõ họ tên)", "i"), align=C, after=0, size=12, container=right)
    for _ in range(4):
        s.para("", align=C, after=0, container=right)
    s.para(("{{ board_head.name }}", "b"), align=C, after=0, container=right)


def body_resolution(s: Sheet, family: str) -> None:
    s.para("Ngày {{ conference.short_date }}, tại {{ conference.place }}, {{ conference.name }} họp với sự có "
           "mặt của {{ present }}/{{ summoned }} đồng chí, do đồng chí {{ conference.chair.name }} chủ trì.")
    s.tag("if tally")
    s.para("Kết quả biểu quyết: phiếu thu về {{ tally.collected }}, hợp lệ {{ tally.valid }}. "
           "{{ tally.base_sentence }}")
    s.tag("for row in tally.rows")
    s.para("+ Đồng chí {{ row.name }}: {{ row.summary }}.")
    s.tag("endfor")
    s.tag("endif")
    s.para(("QUYẾT NGHỊ", "b"), align=C, after=6)
    s.tag("for p in resolves")
    s.para("{{ loop.index }}. {{ p }}")
    s.tag("endfor")


def _decision_head(s: Sheet, family: str) -> None:
    s.para(("{{ decider_upper }}", "b"), align=C, after=6)
    s.tag("for line in basis")
    s.para(("{{ line }}", "" if family == "party" else "i"))
    s.tag("endfor")
    s.para(("QUYẾT ĐỊNH" + ("" if family == "party" else ":"), "b"), align=C, after=6)


def _article(s: Sheet, no: int, text: str) -> None:
    s.para((f"Điều {no}.", "b"), " " + text)


def _closing_article(s: Sheet, no: int, family: str, who: str) -> None:
    end = "." if family == "party" else "./."
    _article(s, no, "Quyết định có hiệu lực kể từ ngày ký. {{ executors_text }} và " + who
             + " căn cứ Quyết định thi hành" + end)


def body_decision(action: str) -> callable:
    def body(s: Sheet, family: str) -> None:
        _decision_head(s, family)
        if action in ("appoint", "reappoint"):
            verb = "Bổ nhiệm" if action == "appoint" else "Bổ nhiệm lại"
            _article(s, 1, verb + " đồng chí {{ person.described }}, giữ chức vụ {{ post }}."
                     "{% if term %} Thời hạn " + verb.lower() + " là {{ term }}, {{ effective }}.{% endif %}")
            _article(s, 2, "Đồng chí {{ person.name }} có trách nhiệm thực hiện chức trách, nhiệm vụ theo "
                     "quy định; được hưởng chế độ, chính sách theo quy định hiện hành.")
        elif action == "dismiss":
            _article(s, 1, "Miễn nhiệm chức vụ {{ post }} đối với đồng chí {{ person.described }}, "
                     "{{ effective }}. Lý do: {{ grounds }}.")
            _article(s, 2, "Đồng chí {{ person.name }} có trách nhiệm bàn giao công việc theo quy định.")
        else:
            _article(s, 1, "Cho đồng chí {{ person.described }} thôi giữ chức vụ {{ post }} (từ chức), "
                     "{{ effective }}. Lý do: {{ grounds }}.")
            _article(s, 2, "Đồng chí {{ person.name }} có trách nhiệm bàn giao công việc theo quy định.")
        _closing_article(s, 3, family, "đồng chí có tên tại Điều 1")
    return body


def body_designation(s: Sheet, family: str) -> None:
    _decision_head(s, family)
    _article(s, 1, "Chỉ định các đồng chí có tên sau đây tham gia cấp ủy {{ organisation }}, nhiệm kỳ "
             "{{ term }}:")
    s.tag("for m in members")
    s.para("{{ loop.index }}. Đồng chí {{ m.person.described }} – {{ m.post }}.")
    s.tag("endfor")
    _article(s, 2, "Các đồng chí có tên tại Điều 1 có trách nhiệm lãnh đạo {{ organisation }} thực hiện "
             "nhiệm vụ theo Điều lệ Đảng và quy định của cấp trên.")
    _closing_article(s, 3, family, "các đồng chí có tên tại Điều 1")


def body_admission(s: Sheet, family: str) -> None:
    _decision_head(s, family)
    _article(s, 1, "Kết nạp quần chúng {{ person.name }}{% if person.birth %}, {{ person.birth }}{% endif %}"
             "{% if hometown %}, quê quán: {{ hometown }}{% endif %}{% if person.current %}, "
             "{{ person.current }}{% endif %} vào Đảng Cộng sản Việt Nam; sinh hoạt tại {{ cell }}, "
             "{{ grassroots }}.")
    _article(s, 2, "Thời gian dự bị của đảng viên là 12 tháng, kể từ ngày chi bộ tổ chức lễ kết nạp.")
    _closing_article(s, 3, family, "đồng chí có tên tại Điều 1")


def body_notice(s: Sheet, family: str) -> None:
    s.tag("for p in content")
    s.para("{{ p }}{% if loop.last %}" + ("." if family == "state" else "") + "{% endif %}")
    s.tag("endfor")


def body_knd(level: str) -> callable:
    """6-KNĐ (the cell) and 8-KNĐ (the grassroots committee): Hướng dẫn 12-HD/BTCTW (2022), Phụ lục 1."""
    who = "đảng viên chính thức" if level == "cell" else "cấp ủy viên"
    asks = ("Đề nghị cấp ủy cấp trên xem xét, kết nạp quần chúng {{ person.name }} vào Đảng Cộng sản Việt Nam."
            if level == "cell" else "Đề nghị Ban Thường vụ cấp ủy cấp trên xem xét, quyết định kết nạp quần chúng "
            "{{ person.name }} vào Đảng Cộng sản Việt Nam.")

    def body(s: Sheet, family: str) -> None:
        s.para("Ngày {{ conference.short_date }}, tại {{ conference.place }}, {{ conference.name }} họp xét đề "
               "nghị kết nạp quần chúng {{ person.described }} vào Đảng Cộng sản Việt Nam.")
        s.para(f"Tổng số {who}: {{{{ members }}}} đồng chí; có mặt: {{{{ present }}}} đồng chí.")
        s.tag("if sponsors")
        s.para("Đảng viên giới thiệu: {{ sponsors|join('; ') }}.")
        s.tag("endif")
        s.para("Nhận xét ưu điểm, khuyết điểm của quần chúng:")
        s.tag("for p in assessment")
        s.para("- {{ p }}")
        s.tag("endfor")
        s.para(f"Số {who} tán thành việc kết nạp: {{{{ agree }}}} đồng chí, đạt {{{{ agree_share }}}} so với "
               f"tổng số {who}.")
        s.para(asks)
    return body


def body_cover(s: Sheet, family: str) -> None:
    s.para("", after=24)
    s.para(("{{ case_title }}", "b"), align=C, after=6, size=16)
    s.para("Quy trình: {{ procedure }}", align=C, after=0)
    s.para("Số hồ sơ: {{ case_ref }} · Mở ngày {{ opened }}{% if closed %} · Kết thúc ngày {{ closed }}"
           "{% endif %}", align=C, after=18)
    s.para(("MỤC LỤC", "b"), align=C, after=6)
    t = s.table([10, 30, 89, 18, 18], rows=4, grid=True)
    for cell, h in zip(t.rows[0].cells, ("TT", "Bước", "Tài liệu", "Trang", "Số trang")):
        _first_cell_text(cell, h, bold=True, size=12)
    _first_cell_text(t.rows[1].cells[0], "{%tr for e in entries %}", size=12)
    for i, (cell, v) in enumerate(zip(t.rows[2].cells, ("{{ e.no }}", "{{ e.step }}",
                                      "{{ e.title }}{% if e.sha256 %} (không kèm trang; sha256 {{ e.sha256 }})"
                                      "{% endif %}", "{{ e.page }}", "{{ e.pages }}"))):
        _first_cell_text(cell, v, size=11, align=L if i == 2 else C)
    _first_cell_text(t.rows[3].cells[0], "{%tr endfor %}", size=12)


# --- ballots -----------------------------------------------------------------------------------

def ballot(s: Sheet, kind: str) -> None:
    heads = {"confidence-ballot": ["Tín nhiệm cao", "Tín nhiệm", "Tín nhiệm thấp"],
             "opinion-ballot": ["Đồng ý", "Không đồng ý"], "nomination-ballot": ["Giới thiệu"]}[kind]
    names = {"confidence-ballot": "PHIẾU TÍN NHIỆM", "opinion-ballot": "PHIẾU BIỂU QUYẾT",
             "nomination-ballot": "PHIẾU GIỚI THIỆU NHÂN SỰ"}[kind]
    s.tag("for b in ballots")
    s.para(("{{ issuer.name }}", "b"), align=C, after=12, size=13)
    s.para((names, "b"), align=C, after=0, size=16)
    if kind == "nomination-ballot":
        s.para(("Chức danh: {{ post }}", "b"), align=C, after=0)
    elif kind == "opinion-ballot":
        s.para("{% if post %}về nhân sự dự kiến giữ chức vụ {{ post }}{% endif %}", align=C, after=0)
    s.para(("{{ conference.name }}, {{ conference.date }}", "i"), align=C, after=12)
    widths = [10, 50, 45] + [int(60 / len(heads))] * len(heads)
    write_in = kind == "nomination-ballot"  # blank rows for names outside the list
    t = s.table(widths, rows=7 if write_in else 4, grid=True)
    for cell, h in zip(t.rows[0].cells, ["TT", "Họ và tên", "Chức vụ"] + heads):
        _first_cell_text(cell, h, bold=True, size=11)
    loops = [("{%tr for c in candidates %}", ["{{ loop.index }}", "{{ c.name }}", "{{ c.current }}"])]
    if write_in:
        loops.append(("{%tr for w in write_in_rows %}", ["{{ candidates|length + w }}", "", ""]))
    for n, (tag, values) in enumerate(loops):
        _first_cell_text(t.rows[1 + 3 * n].cells[0], tag, size=12)
        for i, (cell, v) in enumerate(zip(t.rows[2 + 3 * n].cells, values + [""] * len(heads))):
            _first_cell_text(cell, v, size=13, align=L if i in (1, 2) else C)
        t.rows[2 + 3 * n].height, t.rows[2 + 3 * n].height_rule = Mm(11), WD_ROW_HEIGHT_RULE.AT_LEAST
        _first_cell_text(t.rows[3 + 3 * n].cells[0], "{%tr endfor %}", size=12)
    notes = {
        "confidence-ballot": "Ghi chú: Đối với mỗi người, đánh dấu (X) vào một trong ba ô \"Tín nhiệm cao\", "
                             "\"Tín nhiệm\", \"Tín nhiệm thấp\". Đối với người nào không đánh dấu ô nào, đánh dấu "
                             "từ hai ô trở lên hoặc gạch tên thì phiếu không hợp lệ đối với người đó; phiếu không "
                             "do Ban kiểm phiếu phát ra là phiếu không hợp lệ.",
        "opinion-ballot": "Ghi chú: Đối với mỗi người, đánh dấu (X) vào một trong hai ô \"Đồng ý\" hoặc \"Không "
                          "đồng ý\". Không đánh dấu hoặc đánh dấu cả hai ô thì phiếu không hợp lệ đối với người "
                          "đó; phiếu không do Ban kiểm phiếu phát ra là phiếu không hợp lệ.",
        "nomination-ballot": "Ghi chú: Giới thiệu không quá {{ seats or 1 }} người cho chức danh trên: đánh dấu (X) "
                             "vào ô \"Giới thiệu\"{% if write_in_rows %} hoặc ghi họ tên người đủ tiêu chuẩn ngoài "
                             "danh sách vào dòng trống{% endif %}. Phiếu giới thiệu quá số lượng hoặc không do "
                             "Ban kiểm phiếu phát ra là phiếu không hợp lệ.",
    }
    s.para((notes[kind], "i"), size=12, after=0, indent=False)
    s.tag("if not loop.last")
    s.page_break()
    s.tag("endif")
    s.tag("endfor")


# --- the table of templates ----------------------------------------------------------------------

BODIES = {
    "submission": body_submission, "conference-minutes": body_conference_minutes,
    "vote-minutes": body_vote_minutes, "resolution": body_resolution,
    "decision-appointment": body_decision("appoint"), "decision-reappointment": body_decision("reappoint"),
    "decision-dismissal": body_decision("dismiss"), "decision-resignation": body_decision("resign"),
    "decision-designation": body_designation, "decision-admission": body_admission, "notice": body_notice,
    "knd-6": body_knd("cell"), "knd-8": body_knd("committee"), "dossier-cover": body_cover,
}
TYPE_NAMES = {"submission": "TỜ TRÌNH", "conference-minutes": "BIÊN BẢN", "vote-minutes": "BIÊN BẢN KIỂM PHIẾU",
              "resolution": "NGHỊ QUYẾT", "notice": "THÔNG BÁO", "knd-6": "NGHỊ QUYẾT", "knd-8": "NGHỊ QUYẾT",
              "dossier-cover": "HỒ SƠ"}
UNSIGNED = {"conference-minutes", "vote-minutes", "dossier-cover"}  # signed in the body, or not at all


def build(kind: str, family: str) -> Path:
    if family == "ballot":
        s = Sheet(None)
        ballot(s, kind)
        return s.save(f"{kind}.ballot.docx")
    s = Sheet(PARTY if family == "party" else STATE)
    page_setup(s, verification=kind != "dossier-cover")
    header(s, family, numbered=kind != "dossier-cover")
    title(s, family, "{{ type_name }}", "{{ subject or conference.name }}" if "minutes" in kind
          else "{{ subject }}")
    BODIES[kind](s, family)
    if kind not in UNSIGNED:
        closing(s, family)
    return s.save(f"{kind}.{family}.docx")


def main() -> int:
    import yaml  # noqa: PLC0415 - only this script reads the table itself

    table = yaml.safe_load((HERE / "kinds.yaml").read_text(encoding="utf-8"))["kinds"]
    for kind, spec in table.items():
        for family in spec["families"]:
            print(build(kind, family).name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
