"""The store's own copy of a source file, found by document id only, and its PDF pages as images."""

from __future__ import annotations

import io
import threading
from pathlib import Path

from docanalyzer.store import NotFound, repository

PAGE_SCALE = 1.5  # 108 dpi: readable beside the text, small enough to load at once
_pdfium_lock = threading.Lock()  # pdfium is not thread-safe, and FastAPI serves from a thread pool


def stored_file(engine, data_dir: Path, document_id: int) -> tuple[dict, Path]:
    """The document and the path of its stored copy, which must lie in DATA_DIR/files."""
    doc = repository.get_document(engine, document_id)
    files = (data_dir / "files").resolve()
    path = (data_dir / doc["stored_path"]).resolve()
    if not path.is_relative_to(files) or not path.is_file():
        raise NotFound(f"文件 #{document_id} 的存储副本不见了", "请把该文件重新放入收件箱。")
    return doc, path


def page_scale(width_pt: float, height_pt: float) -> float:
    """PAGE_SCALE, or less for a page so large that its image would pass ``max_page_pixels``
    (a 14400-point page at 108 dpi is 400 million pixels)."""
    from docanalyzer import config

    pixels = width_pt * height_pt * PAGE_SCALE**2
    limit = config.get("max_page_pixels")
    return PAGE_SCALE if pixels <= limit else PAGE_SCALE * (limit / pixels) ** 0.5


def page_png(engine, data_dir: Path, document_id: int, page: int) -> bytes:
    """Page ``page`` (1-based) of a stored PDF, rendered by pypdfium2 as PNG."""
    import pypdfium2 as pdfium

    doc, path = stored_file(engine, data_dir, document_id)
    if doc["format"] != "pdf":
        raise NotFound(f"文件 #{document_id} 不是 PDF，没有页面图像", "请阅读其正文。")
    with _pdfium_lock:
        pdf = pdfium.PdfDocument(str(path))
        try:
            if not 1 <= page <= len(pdf):
                raise NotFound(f"文件 #{document_id} 没有第 {page} 页（共 {len(pdf)} 页）", "请选择其他页。")
            pdf_page = pdf[page - 1]
            image = pdf_page.render(scale=page_scale(*pdf_page.get_size())).to_pil()
        finally:
            pdf.close()
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()
