"""Documents: one decision, the dossier of a completed committee-personnel case, and a dossier of at
least 40 pages; DOCX and PDF; wall time and peak memory (this process's Python heap, and the
largest LibreOffice child). Figures only, nothing passes or fails. The goal in issue 17: the
40-page dossier's PDF in under 10 s on this machine.

    python -m bench.documents [--repeat N]

The cases are the typical cases the tests render (tests/documents/samples.py)."""
from __future__ import annotations

import argparse
import io
import os
import resource
import time
import tracemalloc
from datetime import date

from pypdf import PdfReader

from tests.documents.samples import SYT, CASES, HUYEN_UY, committee_personnel, request_for
from workflow.adapters.documents import Documents, DossierPart, build_dossier
from workflow.domain.documents import DocumentRequest, kinds_for_procedure


def measure(fn):
    """(seconds, result, peak Python heap in MiB): timed on a plain run, the heap taken on a second
    run under tracemalloc (which slows Python down several times)."""
    t0 = time.perf_counter()
    result = fn()
    took = time.perf_counter() - t0
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return took, result, peak / 2**20


def child_peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def cover(issuer, title: str) -> DocumentRequest:
    return DocumentRequest(kind="dossier-cover", issuer=issuer, date=date(2026, 3, 20), fields={
        "case_title": title, "procedure": title, "case_ref": "HS-BENCH", "opened": date(2026, 1, 5),
        "closed": date(2026, 3, 20)})


def case_parts(docs: Documents, make) -> list[DossierPart]:
    case = make()
    return [DossierPart(step=s, title=docs.kinds[k].title["vi"], request=request_for(case, s, k))
            for s, k in kinds_for_procedure(docs.kinds, case.procedure) if not k.endswith("-ballot")]


def pages(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    docs = Documents()
    if not docs.converter.available():
        print("LibreOffice (soffice) is not installed: PDF figures cannot be taken; DOCX only.")
    decision = request_for(committee_personnel(), "decision", "decision-designation")
    rows = []

    t, docx, heap = measure(lambda: docs.docx(decision))
    rows.append(("one decision, DOCX", t, heap, "", f"{len(docx) // 1024} KiB"))
    if docs.converter.available():
        t, pdf, heap = measure(lambda: docs.pdf(decision))
        rows.append(("one decision, PDF (first: LibreOffice profile made)", t, heap, child_peak_mib(),
                     f"{pages(pdf)} p."))
        times = [measure(lambda: docs.pdf(decision))[0] for _ in range(a.repeat)]
        rows.append((f"one decision, PDF (warm, best of {a.repeat})", min(times), "", "", ""))

    cp = case_parts(docs, committee_personnel)
    t, _, heap = measure(lambda: [docs.docx(p.request) for p in cp])  # noqa: B023
    rows.append((f"committee-personnel case: its {len(cp)} documents, DOCX", t, heap, "", ""))
    if docs.converter.available():
        t, pdf, heap = measure(lambda: build_dossier(docs, cover(HUYEN_UY, "Nhân sự cấp ủy"), cp))
        rows.append((f"committee-personnel dossier, PDF", t, heap, child_peak_mib(), f"{pages(pdf)} p."))
        for makes in (CASES[:4], CASES):  # about 40 pages, then every procedure's documents
            big = [p for make in makes for p in case_parts(docs, make)]
            t, pdf, heap = measure(lambda: build_dossier(docs, cover(SYT, "Hồ sơ lớn"), big))
            rows.append((f"dossier of {len(big)} documents, PDF", t, heap, child_peak_mib(), f"{pages(pdf)} p."))
    docs.converter.close()

    print(f"LibreOffice workers: {docs.converter.workers}; load average before: {load}")
    print(f"{'what':58} {'seconds':>8} {'py heap MiB':>12} {'soffice MiB':>12} {'size':>8}")
    for what, t, heap, child, size in rows:
        heap_s = f"{heap:.1f}" if heap != "" else ""
        child_s = f"{child:.0f}" if child != "" else ""
        print(f"{what:58} {t:8.2f} {heap_s:>12} {child_s:>12} {size:>8}")


if __name__ == "__main__":
    main()
