"""DOCX → PDF through LibreOffice headless: one `soffice` process converts many files (a large
batch is split over one process per CPU, in parallel), each process with its own profile directory
(so it never meets a user's LibreOffice or another converter), and a timeout after which its
process group is killed. Fonts: the templates ask for Times New Roman; on Debian
fontconfig serves Liberation Serif 2 (fonts-liberation2: metric-compatible, full Vietnamese), and
the PDF embeds the subsets it uses (PDF/A-2b, which requires embedded fonts).

Needs: the `soffice` binary (Debian: libreoffice-writer-nogui) and fonts-liberation2. Without it
`available()` is False and `convert` raises `converter_missing`; DOCX works regardless."""
from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from workflow.domain.documents import DocumentError

# PDF/A-2b: fonts embedded, no external content. LibreOffice ≥ 7.4 takes filter options as JSON.
PDF_FILTER = 'pdf:writer_pdf_Export:{"SelectPdfVersion":{"type":"long","value":"2"}}'


class LibreOffice:
    """A converter with `workers` LibreOffice profiles (default: one per CPU). A batch is split
    across them and the parts convert in parallel, one `soffice` process per part; each profile
    directory is made once, used by one process at a time, and removed by `close()` or at exit."""

    def __init__(self, binary: str | None = None, timeout: float = 120.0, workers: int | None = None):
        self.binary = binary or os.environ.get("CADREFLOW_SOFFICE") or shutil.which("soffice") \
            or shutil.which("libreoffice")
        self.timeout = timeout
        self.workers = max(1, workers or os.cpu_count() or 1)
        self._profiles: list[tempfile.TemporaryDirectory] = []
        self._free: queue.Queue[tempfile.TemporaryDirectory] = queue.Queue()
        for _ in range(self.workers):
            profile = tempfile.TemporaryDirectory(prefix="cadreflow-lo-profile-")
            self._profiles.append(profile)
            self._free.put(profile)

    def available(self) -> bool:
        return bool(self.binary) and Path(self.binary).exists()

    def close(self) -> None:
        for profile in self._profiles:
            profile.cleanup()

    def convert(self, documents: Mapping[str, bytes]) -> dict[str, bytes]:
        """{name: DOCX bytes} → {name: PDF bytes}: one LibreOffice process per worker."""
        if not self.available():
            raise DocumentError("converter_missing", "PDF needs LibreOffice (soffice), which is not installed "
                                "here; the DOCX can be downloaded instead", http_status=503)
        names = list(documents)
        parts = [names[i::self.workers] for i in range(self.workers) if names[i::self.workers]]
        result: dict[str, bytes] = {}
        with ThreadPoolExecutor(max_workers=len(parts) or 1) as pool:
            for converted in pool.map(lambda part: self._convert_part({n: documents[n] for n in part}), parts):
                result.update(converted)
        missing = sorted(set(documents) - set(result))
        if missing:
            raise DocumentError("conversion_failed", "LibreOffice did not convert: " + ", ".join(missing),
                                names=missing)
        return result

    def _convert_part(self, documents: Mapping[str, bytes]) -> dict[str, bytes]:
        profile = self._free.get()
        try:
            with tempfile.TemporaryDirectory(prefix="cadreflow-docs-") as work:
                src, out = Path(work, "in"), Path(work, "out")
                src.mkdir()
                names = {}
                for i, (name, data) in enumerate(documents.items()):
                    path = src / f"d{i:05d}.docx"  # safe file names; the caller's names map back
                    path.write_bytes(data)
                    names[path.stem] = name
                self._run(Path(profile.name), sorted(src.iterdir()), out)
                return {names[p.stem]: p.read_bytes() for p in out.glob("*.pdf") if p.stem in names}
        finally:
            self._free.put(profile)

    def _run(self, profile: Path, paths: list[Path], out: Path) -> None:
        cmd = [self.binary, f"-env:UserInstallation={profile.as_uri()}", "--headless",
               "--invisible", "--norestore", "--nologo", "--nodefault", "--nolockcheck",
               "--convert-to", PDF_FILTER, "--outdir", str(out), *map(str, paths)]
        env = dict(os.environ, HOME=str(profile), SAL_USE_VCLPLUGIN="svp")
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                                start_new_session=True)
        try:
            _, err = proc.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise DocumentError("conversion_timeout", f"LibreOffice took longer than {self.timeout:g} s and was "
                                "stopped", timeout=self.timeout) from None
        if proc.returncode != 0:
            raise DocumentError("conversion_failed", "LibreOffice failed: "
                                + err.decode("utf-8", "replace").strip()[:300])
