"""The nouns of the package: a document of blocks with exact offsets, and the items cited in it."""

from __future__ import annotations

import bisect
from dataclasses import asdict, dataclass, field


@dataclass
class Cell:
    """One table cell; ``text`` is ``document.text[char_start:char_end]``."""

    text: str
    char_start: int
    char_end: int


@dataclass
class Block:
    """A heading, paragraph or table row; ``text`` is ``document.text[char_start:char_end]``."""

    kind: str  # "heading" | "paragraph" | "table_row"
    text: str
    char_start: int
    char_end: int
    page: int | None = None
    level: int | None = None  # heading level, or the numbering level of a numbered paragraph
    numbering: str | None = None  # "1." "（一）" "一是" ... as written
    cells: list[Cell] = field(default_factory=list)
    style: str | None = None  # reader hint: a Word style name, "title", "centered", "large"
    ocr_confidence: float | None = None


@dataclass
class Document:
    file: str
    sha256: str
    format: str  # "pdf" | "docx" | "doc" | "txt"
    text: str = ""
    blocks: list[Block] = field(default_factory=list)
    pages: int | None = None
    title: str | None = None
    issuer: str | None = None
    date: str | None = None
    doc_type: str | None = None
    error: str | None = None
    # PDF: the text offset at which each page's text begins, in page order (for page_at)
    page_starts: list[int] = field(default_factory=list)
    # block_at's index: the blocks' starts, and which list of how many blocks they were taken from
    _block_starts: tuple[int, int, list[int]] = field(
        default=(0, -1, []), init=False, repr=False, compare=False
    )

    def to_dict(self) -> dict:
        data = asdict(self)
        data.pop("page_starts")
        data.pop("_block_starts")
        return data

    def page_at(self, offset: int) -> int | None:
        """The 1-based PDF page on which the character at ``offset`` stands (None for Word and text)."""
        if not self.page_starts:
            return None
        return max(1, bisect.bisect_right(self.page_starts, offset))

    def block_at(self, offset: int) -> int:
        """Index of the block that holds the character at ``offset``, by bisection over the blocks'
        starts (extraction asks once per item: a scan of every block made it quadratic).

        The starts are taken again when the list of blocks is replaced or changes length, or when
        the block found does not hold ``offset`` (a block moved in place)."""
        for retake in (False, True):
            list_id, count, starts = self._block_starts
            if retake or list_id != id(self.blocks) or count != len(self.blocks):
                starts = [b.char_start for b in self.blocks]
                self._block_starts = (id(self.blocks), len(self.blocks), starts)
            i = bisect.bisect_right(starts, offset) - 1
            block = self.blocks[i] if i >= 0 else None
            if block is not None and block.char_start <= offset < block.char_end:
                return i
        raise ValueError(f"offset {offset} lies outside every block")


class DocumentBuilder:
    """Appends blocks to a document text, one line each, keeping offsets exact."""

    def __init__(self, document: Document):
        self.document = document
        self._parts: list[str] = []
        self._length = 0

    def _append(self, text: str) -> tuple[int, int]:
        if self._parts:
            self._parts.append("\n")
            self._length += 1
        start = self._length
        self._parts.append(text)
        self._length += len(text)
        return start, self._length

    @property
    def length(self) -> int:
        """Where the next block's text will start, once its separator is added."""
        return self._length + (1 if self._parts else 0)

    def mark_page(self, page: int, offset: int) -> None:
        """Page ``page`` begins at text offset ``offset`` (pages without text take the next offset)."""
        starts = self.document.page_starts
        while len(starts) < page:
            starts.append(offset)

    def paragraph(self, text: str, page: int | None = None, kind: str = "paragraph", **extra) -> Block:
        start, end = self._append(text)
        block = Block(kind=kind, text=text, char_start=start, char_end=end, page=page, **extra)
        self.document.blocks.append(block)
        return block

    def row(self, cells: list[str], page: int | None = None) -> Block:
        """A table row; its text is its cells joined by tabs."""
        start, end = self._append("\t".join(cells))
        placed, at = [], start
        for c in cells:
            placed.append(Cell(c, at, at + len(c)))
            at += len(c) + 1
        block = Block(
            kind="table_row", text="\t".join(cells), char_start=start, char_end=end, page=page, cells=placed
        )
        self.document.blocks.append(block)
        return block

    def finish(self) -> Document:
        self.document.text = "".join(self._parts)
        return self.document


@dataclass
class Citation:
    file: str
    sha256: str
    page: int | None
    paragraph: int
    char_start: int
    char_end: int
    quote: str


@dataclass
class Item:
    id: str
    kind: str  # "problem" | "requirement" | "measure"
    text: str
    citation: Citation
    category: str | None = None
    categories: list[dict] = field(default_factory=list)
    responsible_unit: str | None = None
    deadline: str | None = None
    measures: str | None = None
    heading: str | None = None  # the heading path the item stands under
    reasons: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)
