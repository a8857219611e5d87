"""Helpers shared by the benchmark scripts: synthetic documents and timing."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
WQY = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")

SENTENCES = [
    "党组对巡察整改工作的政治意义认识不足，把整改当作一般性业务工作来抓。",
    "2024年以来，局属单位有6个工程项目未按规定履行招标程序，部分项目先施工后审批。",
    "对上轮巡察反馈问题没有建立销号台账，部分问题整改时限一拖再拖。",
    "对关键少数的日常监督较弱，警示教育开展不经常，有的干部纪律规矩意识淡薄。",
    "局机关与各区部门之间信息共享不及时，在专项整治中存在推诿扯皮现象。",
    "专班办公室要对照整改清单逐项建账，每周汇总进度、每月印发通报。",
    "已完成整改13个问题，清退违规发放补贴36.5万元，出台制度11项。",
]


def body_paragraphs(n: int) -> list[str]:
    return [f"{i + 1}." + "".join(SENTENCES[(i + k) % len(SENTENCES)] for k in range(4)) for i in range(n)]


def text_pdf(path: Path, pages: int, embedded: bool = True) -> Path:
    """A text-only Chinese PDF of about ``pages`` pages with page numbers; an embedded TrueType
    font (WenQuanYi Micro Hei) where available, else reportlab's CID font STSong-Light."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    if embedded and WQY.exists():
        from reportlab.pdfbase.ttfonts import TTFont

        pdfmetrics.registerFont(TTFont("WQY", str(WQY), subfontIndex=0))
        font = "WQY"
    else:
        from reportlab.pdfbase.cidfonts import UnicodeCIDFont

        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
        font = "STSong-Light"
    style = ParagraphStyle("b", fontName=font, fontSize=15, leading=27, wordWrap="CJK", firstLineIndent=30)

    def furniture(canvas, doc):
        canvas.setFont(font, 12)
        canvas.drawCentredString(A4[0] / 2, 14 * mm, f"— {doc.page} —")

    doc = SimpleDocTemplate(str(path), pagesize=A4, topMargin=37 * mm, bottomMargin=35 * mm)
    doc.build(
        [Paragraph(t, style) for t in body_paragraphs(int(pages * 4.5))],
        onFirstPage=furniture,
        onLaterPages=furniture,
    )
    return path


def plan_docx(path: Path, sections: int) -> Path:
    """A long Word plan: per section a heading, six numbered paragraphs and an eight-row plan table
    whose unit column is merged down the table, as Word writes it (480 sections: document.xml
    about 4 MB)."""
    import docx

    d = docx.Document()
    d.add_paragraph("某某局党组关于巡察反馈意见整改工作方案")
    for s in range(sections):
        d.add_heading(f"{s + 1}、问题清单", level=1)
        for p in body_paragraphs(6):
            d.add_paragraph(p)
        table = d.add_table(rows=9, cols=4)
        for j, header in enumerate(["问题表现", "整改措施", "责任单位", "完成时限"]):
            table.cell(0, j).text = header
        for i in range(1, 9):
            row = [SENTENCES[i % 7], SENTENCES[(i + 5) % 7], "", "2026年6月底前"]
            for j, text in enumerate(row):
                table.cell(i, j).text = text
        table.cell(1, 2).merge(table.cell(8, 2)).text = "局办公室"
    d.save(str(path))
    return path


def best_of(fn, repeat: int = 3) -> tuple[float, list[float]]:
    """Median seconds of ``repeat`` runs of ``fn`` (and all runs): medians resist a noisy machine."""
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs), runs


def cold_start(args: list[str], repeat: int = 5) -> float:
    """Median wall time of a fresh ``python -m docanalyzer ARGS`` process."""

    def once():
        subprocess.run([sys.executable, "-m", "docanalyzer", *args], capture_output=True, check=False)

    once()  # warm the disk cache and jieba's dictionary cache
    return best_of(once, repeat)[0]


def peak_rss_mb(code: str) -> float:
    """Peak resident memory (MB) of a fresh Python process running ``code`` (VmHWM: unlike
    ru_maxrss it is not inherited from the parent across fork and exec)."""
    probe = code + "\nprint(open('/proc/self/status').read().split('VmHWM:')[1].split()[0])"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1]) / 1024
