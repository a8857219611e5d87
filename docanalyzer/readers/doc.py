"""Old Word (.doc) reader: LibreOffice converts it to .docx where it is installed (tables and
styles survive); otherwise antiword gives paragraphs and ``|cell|cell|`` table rows."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from docanalyzer import config
from docanalyzer.errors import CorruptFile, MissingTool
from docanalyzer.model import Document, DocumentBuilder
from docanalyzer.readers.docx import clean

TIMEOUT = 180


def read(path: Path, doc: Document) -> Document:
    choice = str(config.get("doc_reader"))
    office = shutil.which("soffice") or shutil.which("libreoffice")
    if office and choice in ("auto", "libreoffice"):
        return _via_libreoffice(office, path, doc)
    antiword = shutil.which("antiword")
    if antiword and choice in ("auto", "antiword"):
        return _via_antiword(antiword, path, doc)
    raise MissingTool(
        "读取旧版 Word（.doc）文件需要 antiword 或 LibreOffice，但两者都没有安装",
        "请安装其一（apt-get install antiword），或将文件另存为 .docx。",
        path.name,
    )


def _via_libreoffice(office: str, path: Path, doc: Document) -> Document:
    from docanalyzer.readers import docx

    with tempfile.TemporaryDirectory(prefix="docanalyzer-doc-") as tmp:
        profile = Path(tmp, "profile").as_uri()  # a private profile: parallel runs do not lock each other
        command = [
            office,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "docx",
            "--outdir",
            tmp,
            str(path),
        ]
        try:
            subprocess.run(command, capture_output=True, timeout=TIMEOUT, check=False)
        except subprocess.TimeoutExpired as e:
            raise CorruptFile(
                f"LibreOffice 未能在 {TIMEOUT} 秒内转换该文件",
                "请用 Word 或 WPS 打开并另存为 .docx。",
                path.name,
            ) from e
        converted = Path(tmp) / (path.stem + ".docx")
        if not converted.exists():
            raise CorruptFile(
                "LibreOffice 无法读取该 .doc 文件（已损坏或不是 Word 文件）",
                "请用 Word 或 WPS 打开并另存为 .docx。",
                path.name,
            )
        return docx.read(converted, doc)


def _via_antiword(antiword: str, path: Path, doc: Document) -> Document:
    result = subprocess.run(
        [antiword, "-m", "UTF-8.txt", "-w", "0", str(path)], capture_output=True, timeout=TIMEOUT, check=False
    )
    if result.returncode != 0:
        raise CorruptFile(
            f"antiword 无法读取该 .doc 文件（{result.stderr.decode(errors='replace')[:120]}）",
            "请用 Word 或 WPS 打开并另存为 .docx。",
            path.name,
        )
    builder = DocumentBuilder(doc)
    rows: list[list[str]] = []
    for line in result.stdout.decode("utf-8", errors="replace").splitlines():
        if line.startswith("|") and line.rstrip().endswith("|"):
            cells = [clean(c) for c in line.strip()[1:-1].split("|")]
            if rows and not cells[0] and len(cells) == len(rows[-1]):
                rows[-1] = [a + b for a, b in zip(rows[-1], cells, strict=True)]  # a wrapped cell goes on
            else:
                rows.append(cells)
            continue
        for cells in rows:
            builder.row(cells)
        rows = []
        text = clean(line)
        if text:
            builder.paragraph(text)
    for cells in rows:
        builder.row(cells)
    return builder.finish()
