"""The JSON API under /api: every operation of the pages, each checking the caller's role.

Writes need the session's CSRF token in ``X-CSRF-Token`` (the sign-in answer carries it), except
the sign-in itself, which takes JSON only and so cannot be sent by another site's form."""

from __future__ import annotations

import io
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from docanalyzer import export
from docanalyzer.store import InvalidChange, StaleVersion, repository
from docanalyzer.web import auth, source
from docanalyzer.web.limits import (
    LONG_TEXT,
    MAX_ID,
    MAX_PASSWORD,
    SHORT_TEXT,
    Filter,
    Id,
    ItemId,
    OptionalId,
    PageNumber,
)

Reader = Annotated[dict, Depends(auth.require("read"))]
Reviewer = Annotated[dict, Depends(auth.require("review"))]
Exporter = Annotated[dict, Depends(auth.require("export"))]
Admin = Annotated[dict, Depends(auth.require("users"))]

EDITABLE = ("text", "category", "kind", "responsible_unit", "deadline", "measures")

router = APIRouter(prefix="/api")
writes = APIRouter(prefix="/api", dependencies=[Depends(auth.check_csrf)])


class SignIn(BaseModel):
    name: str = Field(max_length=SHORT_TEXT)
    password: str = Field(max_length=MAX_PASSWORD)


class Versioned(BaseModel):
    version: int | None = Field(
        None, ge=0, le=MAX_ID, description="The item version the change was made on; stale → 409."
    )


class ItemChanges(Versioned):
    text: str | None = Field(None, max_length=LONG_TEXT)
    category: str | None = Field(None, max_length=SHORT_TEXT)
    kind: Literal["problem", "requirement", "measure"] | None = None
    responsible_unit: str | None = Field(None, max_length=SHORT_TEXT)
    deadline: str | None = Field(None, max_length=SHORT_TEXT)
    measures: str | None = Field(None, max_length=LONG_TEXT)


class Split(Versioned):
    offset: int = Field(
        ge=0, le=MAX_ID, description="Characters into the item's quote where the second item begins."
    )


class Merge(BaseModel):
    items: list[Annotated[str, Field(max_length=SHORT_TEXT)]] = Field(min_length=2, max_length=2)
    versions: list[Annotated[int, Field(ge=0, le=MAX_ID)] | None] | None = Field(
        None, min_length=2, max_length=2
    )


class Selection(BaseModel):
    char_start: int = Field(ge=0, le=MAX_ID)
    char_end: int = Field(ge=0, le=MAX_ID)
    kind: Literal["problem", "requirement", "measure"] = "problem"


class ReviewStatus(BaseModel):
    review_status: Literal["new", "in_review", "done"]


class NewUser(BaseModel):
    name: str = Field(max_length=SHORT_TEXT)
    role: Literal["admin", "reviewer", "analyst", "viewer"]
    password: str | None = Field(
        None, max_length=MAX_PASSWORD, description="Omit to have one generated and returned once."
    )


class UserChanges(BaseModel):
    role: Literal["admin", "reviewer", "analyst", "viewer"] | None = None
    active: bool | None = None
    new_password: bool = Field(False, description="Generate a new password, returned once.")


def engine(request: Request):
    return request.app.state.engine


def check_category(request: Request, category: str | None) -> None:
    keys = request.app.state.taxonomy.keys
    if category is not None and category not in keys:
        raise InvalidChange(f"{category!r} 不是分类体系中的类别", f"请使用其中之一：{'、'.join(keys)}。")


# -- session --------------------------------------------------------------------------------------


@router.post("/login", tags=["session"])
def login(request: Request, body: SignIn) -> dict:
    """Sign in; the answer carries the CSRF token for later writes. Too many failures: 429."""
    if not request.headers.get("content-type", "").startswith("application/json"):
        raise InvalidChange("登录请求须为 JSON", "请发送 Content-Type: application/json。")
    user = auth.sign_in(request, body.name, body.password)
    if user is None:
        return JSONResponse({"error": "用户名或密码不正确"}, status_code=401)
    return {"user": user, "csrf_token": auth.csrf_token(request)}


@writes.post("/logout", tags=["session"])
def logout(request: Request) -> dict:
    auth.sign_out(request)
    return {"signed_out": True}


@router.get("/me", tags=["session"])
def me(request: Request, user: Reader) -> dict:
    return {"user": user, "csrf_token": auth.csrf_token(request)}


# -- reading --------------------------------------------------------------------------------------


@router.get("/taxonomy", tags=["reading"])
def taxonomy(request: Request, user: Reader) -> list[dict]:
    """The categories in review order: keys 1–9 on the document page follow it."""
    return [{"key": c.key, "name": c.name} for c in request.app.state.taxonomy.categories]


@router.get("/documents", tags=["reading"])
def documents(
    request: Request, user: Reader, review_status: Literal["new", "in_review", "done"] | None = None
) -> list[dict]:
    """Analysed documents, newest first, with item counts by status."""
    return repository.review_documents(engine(request), review_status)


@router.get("/documents/{document_id}", tags=["reading"])
def document(request: Request, document_id: Id, user: Reader) -> dict:
    """A document with its text and blocks (offsets index the text)."""
    doc = repository.get_document(engine(request), document_id)
    doc.pop("stored_path")
    return {
        **doc,
        "text": repository.document_text(engine(request), document_id),
        "blocks": repository.list_blocks(engine(request), document_id),
    }


@router.get("/documents/{document_id}/items", tags=["reading"])
def document_items(request: Request, document_id: Id, user: Reader) -> list[dict]:
    repository.get_document(engine(request), document_id)
    return repository.list_items(engine(request), document_id)


@router.get("/documents/{document_id}/file", tags=["reading"])
def document_file(request: Request, document_id: Id, user: Reader) -> Response:
    """The source file as received, from the store's own copy (never a path from the request)."""
    from fastapi.responses import FileResponse

    doc, path = source.stored_file(engine(request), request.app.state.data_dir, document_id)
    return FileResponse(path, filename=doc["file"], content_disposition_type="attachment")


@router.get("/documents/{document_id}/pages/{page}", tags=["reading"])
def document_page(request: Request, document_id: Id, page: PageNumber, user: Reader) -> Response:
    """One page of a PDF as a PNG image, rendered from the stored copy."""
    png = source.page_png(engine(request), request.app.state.data_dir, document_id, page)
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})


@router.get("/items", tags=["reading"])
def items(
    request: Request,
    user: Reader,
    document_id: OptionalId = None,
    category: Filter = None,
    kind: Literal["problem", "requirement", "measure"] | None = None,
    unit: Filter = None,
    status: Literal["pending", "accepted", "rejected"] | None = None,
    max_confidence: Annotated[float | None, Query(ge=0, le=1)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict:
    """The review queue: items least certain first (lowest top category score), filtered."""
    return repository.review_queue(
        engine(request),
        document_id=document_id,
        category=category,
        kind=kind,
        unit=unit,
        status=status,
        max_confidence=max_confidence,
        limit=limit,
        offset=offset,
    )


@router.get("/items/{item_id}", tags=["reading"])
def item(request: Request, item_id: ItemId, user: Reader) -> dict:
    return repository.get_item(engine(request), item_id)


@router.get("/items/{item_id}/history", tags=["reading"])
def history(request: Request, item_id: ItemId, user: Reader) -> list[dict]:
    """Who changed what on the item, when, before and after."""
    repository.get_item(engine(request), item_id)
    return repository.reviews(engine(request), item_id)


@router.get("/export", tags=["reading"])
def export_ledger(
    request: Request,
    user: Exporter,
    format: Literal["xlsx", "csv"] = "xlsx",
    document_id: OptionalId = None,
) -> Response:
    """The reviewed ledger with `docanalyzer extract`'s columns: reviewers' values applied, rejected
    items left out; one document or all."""
    if document_id is not None:
        repository.get_document(engine(request), document_id)
    rows = repository.ledger(engine(request), document_id)
    name = f"整改台账-{document_id}" if document_id is not None else "整改台账"
    if format == "csv":
        body, media = export.to_csv(rows, for_people=True).encode("utf-8-sig"), "text/csv; charset=utf-8"
    else:
        buffer = io.BytesIO()
        export.write_xlsx(rows, buffer)
        body = buffer.getvalue()
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ascii_name = f"ledger-{document_id if document_id is not None else 'all'}.{format}"
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}.{format}"
    return Response(body, media_type=media, headers={"Content-Disposition": disposition})


# -- reviewing ------------------------------------------------------------------------------------


def refused_as_stale(change: dict, apply):
    """Apply a change; when it was made on an old version, the 409 carries it beside the current item."""
    try:
        return apply()
    except StaleVersion as e:
        e.yours = change
        raise


@writes.post("/items/{item_id}/accept", tags=["reviewing"])
def accept(request: Request, item_id: ItemId, body: Versioned, user: Reviewer) -> dict:
    return set_status(request, item_id, "accepted", body.version, user)


@writes.post("/items/{item_id}/reject", tags=["reviewing"])
def reject(request: Request, item_id: ItemId, body: Versioned, user: Reviewer) -> dict:
    return set_status(request, item_id, "rejected", body.version, user)


def set_status(request: Request, item_id: str, status: str, version: int | None, user: dict) -> dict:
    return refused_as_stale(
        {"status": status, "version": version},
        lambda: repository.review_item(engine(request), item_id, user["name"], "status", status, version),
    )


@writes.patch("/items/{item_id}", tags=["reviewing"])
def edit(request: Request, item_id: ItemId, body: ItemChanges, user: Reviewer) -> dict:
    """Set any of text, category, kind, unit, deadline, measures (the fields sent), as one action."""
    changes = {f: getattr(body, f) for f in EDITABLE if f in body.model_fields_set}
    if not changes:
        raise InvalidChange("修改中没有任何字段", f"请发送以下字段中的一个或多个：{'、'.join(EDITABLE)}。")
    check_category(request, changes.get("category"))
    return refused_as_stale(
        {**changes, "version": body.version},
        lambda: repository.edit_item(engine(request), item_id, user["name"], changes, body.version),
    )


@writes.post("/items/{item_id}/split", tags=["reviewing"])
def split(request: Request, item_id: ItemId, body: Split, user: Reviewer) -> list[dict]:
    """Split the item in two at ``offset`` characters into its quote."""
    return repository.split_item(
        engine(request), item_id, user["name"], body.offset, body.version, request.app.state.rank
    )


@writes.post("/items/merge", tags=["reviewing"])
def merge(request: Request, body: Merge, user: Reviewer) -> dict:
    """Merge two items of one document into one."""
    return repository.merge_items(
        engine(request), body.items, user["name"], body.versions, request.app.state.rank
    )


@writes.post("/documents/{document_id}/items", tags=["reviewing"], status_code=201)
def add(request: Request, document_id: Id, body: Selection, user: Reviewer) -> dict:
    """An item the extractor missed, from a selection of the document text (offsets into ``text``)."""
    return repository.add_item(
        engine(request),
        document_id,
        user["name"],
        body.char_start,
        body.char_end,
        body.kind,
        request.app.state.rank,
    )


@writes.post("/undo", tags=["reviewing"])
def undo(request: Request, user: Reviewer) -> dict:
    """Undo your last action (again: the one before it)."""
    return repository.undo_last(engine(request), user["name"])


@writes.put("/documents/{document_id}/review-status", tags=["reviewing"])
def review_status(request: Request, document_id: Id, body: ReviewStatus, user: Reviewer) -> dict:
    doc = repository.set_review_status(engine(request), document_id, body.review_status)
    doc.pop("stored_path")
    return doc


# -- users ----------------------------------------------------------------------------------------


@router.get("/users", tags=["users"])
def users(request: Request, user: Admin) -> list[dict]:
    return repository.list_users(engine(request))


@writes.post("/users", tags=["users"], status_code=201)
def add_user(request: Request, body: NewUser, user: Admin) -> dict:
    """A new account; without a password one is generated and returned, this once."""
    password = body.password or auth.generate_password()
    try:
        auth.check_password(password)
    except ValueError as e:
        raise InvalidChange(str(e), "请换一个更长的密码，或不填以自动生成。") from e
    created = repository.create_user(engine(request), body.name, body.role, auth.hash_password(password))
    return {**created, "password": None if body.password else password}


@writes.patch("/users/{user_id}", tags=["users"])
def change_user(request: Request, user_id: Id, body: UserChanges, user: Admin) -> dict:
    """Change a role, turn an account off or on, or give it a new generated password (returned once)."""
    if user_id == user["id"] and (body.role not in (None, "admin") or body.active is False):
        raise InvalidChange("不能取消自己的管理员权限", "请由另一位管理员操作。")
    password = auth.generate_password() if body.new_password else None
    changed = repository.update_user(
        engine(request),
        user_id,
        role=body.role,
        active=body.active,
        password_hash=auth.hash_password(password) if password else None,
    )
    return {**changed, "password": password}
