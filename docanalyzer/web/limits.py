"""Every size the web app accepts, defined once: ids the databases can hold, field lengths,
request bodies (read no further than the limit), and no NUL byte in a path or query.

Past a limit the answer is a clear 404, 413 or 422, never a 500 from deep in a database driver
(``bigint out of range``, ``text fields cannot contain NUL``) nor a server holding 200 MB in memory.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import Path, Query

MAX_ID = 2**31 - 1  # the integer columns of PostgreSQL (ids, versions, offsets)
MAX_PAGE = 100_000  # pages of a queue, pages of a PDF
SHORT_TEXT = 200  # a unit, a deadline, a category key, a user name
LONG_TEXT = 20_000  # an item's text or measures (a long table cell is a few thousand characters)
MAX_PASSWORD = 1000

Id = Annotated[int, Path(ge=1, le=MAX_ID)]
ItemId = Annotated[str, Path(max_length=SHORT_TEXT)]
PageNumber = Annotated[int, Path(ge=1, le=MAX_PAGE)]
OptionalId = Annotated[int | None, Query(ge=1, le=MAX_ID)]
QueuePage = Annotated[int, Query(ge=1, le=MAX_PAGE)]
Filter = Annotated[str | None, Query(max_length=SHORT_TEXT)]

BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def _answer(status: int, message: str, scope) -> tuple[dict, dict]:
    """The start and body messages of an error answer, JSON under /api as the app's own are."""
    if scope["path"].startswith("/api/"):
        body, media = json.dumps({"error": message}, ensure_ascii=False).encode(), b"application/json"
    else:
        body, media = message.encode(), b"text/plain; charset=utf-8"
    start = {
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", media), (b"content-length", str(len(body)).encode())],
    }
    return start, {"type": "http.response.body", "body": body}


class RequestLimits:
    """Pure ASGI middleware: a NUL byte in the path or query is 422; a body over ``max_bytes`` is
    413, decided from Content-Length or, without one, after reading ``max_bytes`` + 1 bytes."""

    def __init__(self, app, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if (
            "\x00" in scope["path"]
            or b"%00" in scope.get("query_string", b"")
            or b"\x00" in scope.get("query_string", b"")
        ):
            return await self._refuse(send, scope, 422, "请求中含有空字符（NUL），已拒绝。")
        if scope["method"] not in BODY_METHODS:
            return await self.app(scope, receive, send)
        too_large = f"请求内容超过 {self.max_bytes // 1024} KB 的上限，已拒绝。"
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            return await self._refuse(send, scope, 413, too_large)
        chunks, size = [], 0
        while True:  # the body, up to the limit, then handed on as it came
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_bytes:
                return await self._refuse(send, scope, 413, too_large)
            if not message.get("more_body"):
                break
        body, sent = b"".join(chunks), False

        async def replay():
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        return await self.app(scope, replay, send)

    @staticmethod
    async def _refuse(send, scope, status: int, message: str) -> None:
        start, body = _answer(status, message, scope)
        await send(start)
        await send(body)
