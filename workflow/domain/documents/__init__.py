"""Documents, the pure part: the kinds of document, the header families (Party per Hướng dẫn
36-HD/VPTW, State per Nghị định 30/2020/NĐ-CP), how numbers, dates, signatures and vote shares are
written, and the fill-in context of a template built from plain data.

Rule of this package (as of all of `workflow/domain/`): no SQLAlchemy, no Flask, no I/O. Files,
templates, LibreOffice and PDFs are `workflow/adapters/documents/`."""
from .context import build_context, check_fields, placeholders, tally_values
from .errors import DocumentError
from .formats import (Authority, Family, authority_line, date_words, number_line, number_symbol, percent,
                      place_date_line, short_date, votes_text)
from .kinds import DocumentKind, FieldSpec, kind_of, kinds_for_procedure, parse_kinds
from .model import (Assignment, Conference, ConferenceResult, ContentsEntry, DocumentRequest, IssuingBody, Person,
                    Signature, Tally, Verification, Votes)
from .specimen import specimen

__all__ = [
    "Assignment", "Authority", "Conference", "ConferenceResult", "ContentsEntry", "DocumentError", "DocumentKind",
    "DocumentRequest", "Family", "FieldSpec", "IssuingBody", "Person", "Signature", "Tally", "Verification",
    "Votes", "authority_line", "build_context", "check_fields", "date_words", "kind_of", "kinds_for_procedure",
    "number_line", "number_symbol", "parse_kinds", "percent", "place_date_line", "placeholders", "short_date",
    "specimen", "tally_values", "votes_text",
]
