"""DOCX → PDF through LibreOffice headless: one `soffice` process converts a whole batch, with its
own profile directory (so it never meets a user's LibreOffice or another converter), and a timeout
after which the process group is killed. Fonts: the templates ask for Times New Roman; on Debian
fontconfig serves Liberation Serif 2 (fonts-liberation2: metric-compatible, full Vietnamese), and
the PDF embeds the subsets it uses (PDF/A-2b, which requires embedded fonts).

Needs: the `soffice` binary (Debian: libreoffice-writer-nogui) and fonts-liberation2. Without it
`available()` is False and `convert` raises `converter_missing`; DOCX works regardless."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path

from workflow.domain.documents import DocumentError

# PDF/A-2b: fonts embedded, no external content. LibreOffice ≥ 7.4 takes filter options as JSON.
PDF_FILTER = 'pdf:writer_pdf_Export:{"SelectPdfVersion":{"type":"long","value":"2"}}'


class LibreOffice:
    """A converter. Conversions through one instance run one at a time (they share its profile
    directory, made once, removed by `close()` or at exit); separate instances run in parallel."""

    def __init__(self, binary: str | None = None, timeout: float = 120.0):
        self.binary = binary or os.environ.get("CADREFLOW_SOFFICE") or shutil.which("soffice") \
            or shutil.which("libreoffice")
        self.timeout = timeout
        self._lock = threading.Lock()
        self._profile: tempfile.TemporaryDirectory | None = None

    def available(self) -> bool:
        return bool(self.binary) and Path(self.binary).exists()

    def close(self) -> None:
        if self._profile is not None:
            self._profile.cleanup()
            self._profile = None

    def convert(self, documents: Mapping[str, bytes]) -> dict[str, bytes]:
        """{name: DOCX bytes} → {name: PDF bytes}, in one LibreOffice process."""
        if not self.available():
            raise DocumentError("converter_missing", "PDF needs LibreOffice (soffice), which is not installed "
                                "here; the DOCX can be downloaded instead", http_status=503)
        if not documents:
            return {}
        with self._lock, tempfile.TemporaryDirectory(prefix="cadreflow-docs-") as work:
            if self._profile is None:
                self._profile = tempfile.TemporaryDirectory(prefix="cadreflow-lo-profile-")
            src, out = Path(work, "in"), Path(work, "out")
            src.mkdir()
            names = {}
            for i, (name, data) in enumerate(documents.items()):
                path = src / f"d{i:05d}.docx"  # safe file names; the caller's names map back
                path.write_bytes(data)
                names[path.stem] = name
            self._run(sorted(src.iterdir()), out)
            result = {names[p.stem]: p.read_bytes() for p in out.glob("*.pdf") if p.stem in names}
        missing = sorted(set(documents) - set(result))
        if missing:
            raise DocumentError("conversion_failed", "LibreOffice did not convert: " + ", ".join(missing),
                                names=missing)
        return result

    def _run(self, paths: list[Path], out: Path) -> None:
        cmd = [self.binary, f"-env:UserInstallation={Path(self._profile.name).as_uri()}", "--headless",
               "--invisible", "--norestore", "--nologo", "--nodefault", "--nolockcheck",
               "--convert-to", PDF_FILTER, "--outdir", str(out), *map(str, paths)]
        env = dict(os.environ, HOME=self._profile.name, SAL_USE_VCLPLUGIN="svp")
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
