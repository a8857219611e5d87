"""Every kind of bad input: one clear line naming the file, exit 1, no traceback, others carry on."""

from __future__ import annotations

import io
import zipfile

from builders import render
from conftest import run_cli

GOOD = {
    "format": "pdf",
    "meta": {"title": "好文件"},
    "blocks": [
        {"t": "title", "text": "某某局巡察整改进展情况的通报"},
        {"t": "p", "text": "已完成整改12项，清退资金36万元。"},
    ],
    "items": [],
}


def make_bad_files(tmp):
    files = {}
    files["empty.pdf"] = b""
    files["fake.pdf"] = "这不是PDF文件".encode()
    files["fake.docx"] = b"%PDF-1.4 not a docx"
    good = render(GOOD, tmp / "good").read_bytes()
    files["truncated.pdf"] = good[: len(good) // 3]
    files["notzip.docx"] = b"PK\x03\x04" + b"\x00" * 40
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", b"<" + b" " * (3 * 1024 * 1024))
    files["bomb.docx"] = buffer.getvalue()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("hello.txt", "not word")
    files["otherzip.docx"] = buffer.getvalue()
    files["table.xlsx"] = b"PK\x03\x04"
    files["big.txt"] = "巡察整改".encode() * 400_000
    for name, data in files.items():
        (tmp / name).write_bytes(data)
    return files


def scanned_pdf(path):
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=A4)
    c.rect(100, 100, 300, 300, fill=1)  # a page with graphics and no text layer
    c.showPage()
    c.save()


EXPECTED = {
    "empty.pdf": "文件为空",
    "fake.pdf": "与后缀 .pdf 不符",
    "fake.docx": "与后缀 .docx 不符",
    "truncated.pdf": "已损坏",
    "notzip.docx": "不是有效的 zip",
    "bomb.docx": "压缩炸弹",
    "otherzip.docx": "不是 Word 文档",
    "table.xlsx": "不支持的文件类型 .xlsx",
    "big.txt": "超过 1 MB 的上限",
    "missing.pdf": "文件不存在",
    "scan.pdf": "看起来是扫描件",
}


def test_each_bad_input_gets_one_clear_line_and_the_good_file_is_still_read(tmp_path):
    make_bad_files(tmp_path)
    scanned_pdf(tmp_path / "scan.pdf")
    good = render(GOOD, tmp_path / "good")
    names = sorted(EXPECTED)
    result = run_cli(
        "parse",
        "--format",
        "json",
        *(str(tmp_path / n) for n in names),
        str(good),
        env={"DOCANALYZER_MAX_FILE_MB": "1", "DOCANALYZER_MAX_DOCX_PART_MB": "2"},
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == len(names)
    for name, line in zip(names, lines, strict=True):
        assert line.startswith(f"{name}: [E1"), line
        assert EXPECTED[name] in line, line
    assert "已完成整改12项" in result.stdout  # the good file was read after all the bad ones


def test_extract_lists_failed_files_in_documents_with_their_error(tmp_path):
    (tmp_path / "empty.docx").write_bytes(b"")
    good = render(GOOD, tmp_path / "good")
    import json

    result = run_cli("extract", str(tmp_path / "empty.docx"), str(good))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    out = json.loads(result.stdout)
    assert out["documents"][0]["file"] == "empty.docx" and "文件为空" in out["documents"][0]["error"]
    assert out["documents"][1]["file"] == "good.pdf" and "error" not in out["documents"][1]


def test_encrypted_pdf_needs_password_but_empty_password_opens(tmp_path):
    import pypdf

    good = render(GOOD, tmp_path / "good")
    for name, user_password in (("locked.pdf", "secret"), ("open.pdf", "")):
        writer = pypdf.PdfWriter(clone_from=str(good))
        writer.encrypt(user_password=user_password, owner_password="owner", algorithm="AES-128")
        with open(tmp_path / name, "wb") as f:
            writer.write(f)
    result = run_cli("parse", str(tmp_path / "locked.pdf"), str(tmp_path / "open.pdf"))
    assert result.returncode == 1
    assert result.stderr.startswith("locked.pdf: [E105]") and "密码" in result.stderr
    assert "已完成整改12项" in result.stdout


def test_usage_error_exits_2():
    assert run_cli("extract").returncode == 2
    assert run_cli("extract", "x.pdf", "--format", "xlsx").returncode == 2
