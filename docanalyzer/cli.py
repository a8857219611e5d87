"""The command line: each command is a thin wrapper over one library call.

Heavy libraries are imported inside the commands that need them, so that
``docanalyzer --help`` and a small ``parse`` start quickly.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from docanalyzer.errors import DocanalyzerError

app = typer.Typer(
    help="Read Chinese inspection rectification documents into a cited ledger of items.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class ParseFormat(StrEnum):
    text = "text"
    json = "json"


class ExtractFormat(StrEnum):
    json = "json"
    table = "table"
    jsonl = "jsonl"
    csv = "csv"
    xlsx = "xlsx"


Files = Annotated[list[Path], typer.Argument(help="PDF, Word (.docx, .doc) or text files.")]


@app.callback()
def check_settings() -> None:
    """Every setting is read and checked once, before any command starts its work."""
    from docanalyzer import config

    config.settings()


def fail(message: str) -> None:
    typer.echo(message, err=True)


@app.command()
def parse(
    files: Files,
    format: Annotated[
        ParseFormat, typer.Option("--format", "-f", help="text or json (the document model).")
    ] = ParseFormat.text,
) -> None:
    """Read files into the document model: text, blocks with offsets, pages, headings, metadata."""
    from docanalyzer.readers import read

    failed = False
    results = []
    for path in files:
        try:
            doc = read(path)
        except DocanalyzerError as e:
            fail(e.message)
            failed = True
            continue
        results.append(doc)
        if format is ParseFormat.text:
            typer.echo(render_text(doc))
    if format is ParseFormat.json:
        data = [d.to_dict() for d in results]
        typer.echo(json.dumps(data[0] if len(files) == 1 and data else data, ensure_ascii=False, indent=1))
    raise typer.Exit(1 if failed else 0)


def render_text(doc) -> str:
    head = f"# {doc.file}  ({doc.format}, {doc.pages or '-'} pages, type {doc.doc_type})"
    meta = f"# title: {doc.title or '-'} | issuer: {doc.issuer or '-'} | date: {doc.date or '-'}"
    lines = [head, meta]
    for i, b in enumerate(doc.blocks):
        where = f"p{b.page}" if b.page else "  "
        tag = {"heading": f"H{b.level}", "table_row": "TR"}.get(b.kind, "  ")
        lines.append(f"{i:>4} {where:>4} {tag:<3} {b.text}")
    return "\n".join(lines)


@app.command()
def extract(
    files: Files,
    format: Annotated[
        ExtractFormat,
        typer.Option("--format", "-f", help="json, jsonl, csv, xlsx, or table (for reading on a terminal)."),
    ] = ExtractFormat.json,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write here instead of standard output (xlsx needs it)."),
    ] = None,
) -> None:
    """Extract candidate rectification items, classified and cited, as ITEMS.md defines them."""
    if format is ExtractFormat.xlsx and out is None:
        fail("[E001] --format xlsx 写出的是工作簿，需要 --out 文件名.xlsx。")
        raise typer.Exit(2)
    from docanalyzer import export
    from docanalyzer.pipeline import analyze_many

    result = analyze_many(files)
    for doc in result["documents"]:
        if doc.get("error"):
            fail(doc["error"])
    export.write(result, format.value, out)
    raise typer.Exit(1 if any(d.get("error") for d in result["documents"]) else 0)


@app.command()
def classify(
    text: Annotated[
        str, typer.Argument(help="A passage to classify, or - for one passage per line on standard input.")
    ],
    format: Annotated[ParseFormat, typer.Option("--format", "-f", help="text or json.")] = ParseFormat.text,
) -> None:
    """Rank the taxonomy's categories for a passage, with scores and the terms that drove them."""
    from docanalyzer.classify.model import load_classifier
    from docanalyzer.errors import TextError

    passages = [line.strip() for line in sys.stdin if line.strip()] if text == "-" else [text]
    if not passages:
        raise TextError("标准输入中没有段落", "请每行给出一段中文文字。")
    classifier = load_classifier()
    results = classifier.explain_many(passages)
    if format is ParseFormat.json:
        typer.echo(json.dumps(results, ensure_ascii=False, indent=1))
        return
    for r in results:
        ranked = "  ".join(f"{c['key']} {c['score']:.2f}" for c in r["categories"])
        typer.echo(f"{r['category']}\t{ranked}\t{'、'.join(r['reasons'])}\t{r['text'][:40]}")


@app.command()
def train(
    seed: Annotated[int, typer.Option(help="Random seed; the same seed and corpus give the same model.")] = 0,
) -> None:
    """Train the category classifier on corpora/ and write it with its model card."""
    from docanalyzer.classify.training import train_and_save

    card = train_and_save(seed=seed)
    typer.echo(json.dumps(card, ensure_ascii=False, indent=1))


@app.command()
def evaluate(
    folds: Annotated[int, typer.Option(help="Cross-validation folds, grouped by source document.")] = 5,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
) -> None:
    """Cross-validate the classifier grouped by source document and print its metrics."""
    from docanalyzer.classify.training import evaluate as run_evaluate
    from docanalyzer.classify.training import format_report

    report = run_evaluate(folds=folds, seed=seed)
    typer.echo(format_report(report))


@app.command("config")
def show_config() -> None:
    """List every setting with its current value and where it came from."""
    from docanalyzer import config

    for setting, value, source in config.current():
        typer.echo(f"{setting.name} = {value!r}  [{source}; {setting.env}]\n    {setting.help}")


# -- the store and the inbox watcher ------------------------------------------------------------

db_app = typer.Typer(help="The store's database (SQLite in DATA_DIR, or DOCANALYZER_DATABASE_URL).")
app.add_typer(db_app, name="db", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create the store's tables or migrate them to the newest schema (watch and ingest do it too)."""
    from docanalyzer.store import db

    revision = db.upgrade()
    where = db.shown(db.database_url())
    typer.echo(f"{where}：数据库结构已是版本 {revision}")


@app.command()
def watch(
    inbox: Annotated[
        Path | None, typer.Argument(help="Folder to watch (default: the inbox setting, ./inbox).")
    ] = None,
    once: Annotated[bool, typer.Option("--once", help="Process what is there, then exit.")] = False,
    poll: Annotated[
        bool, typer.Option("--poll", help="Poll instead of file system events (network shares).")
    ] = False,
) -> None:
    """Watch a folder: analyse each file dropped in, store its items, archive it. Ctrl-C stops."""
    from docanalyzer.ingest.service import run_watch

    run_watch(inbox, once=once, poll=poll)


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files, or folders to search through.")],
) -> None:
    """Analyse files into the store once, with a progress bar, leaving them where they are."""
    from docanalyzer.ingest.service import run_ingest

    missing = [p for p in paths if not p.exists()]
    for path in missing:
        fail(f"{path}: [E100] 文件或文件夹不存在。请检查路径后重试。")
    if len(missing) == len(paths):
        raise typer.Exit(1)
    counts = run_ingest([p for p in paths if p.exists()])
    raise typer.Exit(1 if missing or counts.get("failed") or counts.get("unreadable") else 0)


# -- the review web app and its accounts ---------------------------------------------------------

Host = Annotated[
    str | None, typer.Option(help="Address to listen on (default: the host setting, 127.0.0.1).")
]
Port = Annotated[
    int | None,
    typer.Option(min=1, max=65535, help="Port to listen on (default: the port setting, 8000)."),
]


@app.command()
def serve(host: Host = None, port: Port = None) -> None:
    """Start the review web app (an admin account is made on first start, its password printed once)."""
    from docanalyzer.web.server import serve as run_server

    run_server(host, port)


@app.command()
def run(
    inbox: Annotated[
        Path | None, typer.Argument(help="Folder to watch (default: the inbox setting, ./inbox).")
    ] = None,
    host: Host = None,
    port: Port = None,
) -> None:
    """Watch the inbox and serve the review web app together, until Ctrl-C stops both."""
    from docanalyzer.web.server import run as run_both

    run_both(inbox, host, port)


users_app = typer.Typer(help="Accounts of the review web app: admin, reviewer, analyst, viewer.")
app.add_typer(users_app, name="users", no_args_is_help=True)


class Role(StrEnum):
    admin = "admin"
    reviewer = "reviewer"
    analyst = "analyst"
    viewer = "viewer"


def show_generated(password: str, generated: bool) -> None:
    if generated:
        typer.echo(f"密码：{password}  （仅显示这一次）")


def new_password(generate: bool) -> str:
    """A generated password (printed once), or one typed twice at a hidden prompt."""
    from docanalyzer.web import auth

    if generate:
        return auth.generate_password()
    password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        return auth.check_password(password)
    except ValueError as e:
        fail(f"[E002] {e}。请换一个更长的密码，或使用 --generate-password。")
        raise typer.Exit(2) from e


Generate = Annotated[
    bool, typer.Option("--generate-password", help="Generate a password and print it once instead of asking.")
]


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="The name the user signs in with.")],
    role: Annotated[Role, typer.Option(help="What the user may do.")] = Role.reviewer,
    generate_password: Generate = False,
) -> None:
    """Add an account (admin: everything; reviewer: review and export; analyst: read and export; viewer: read)."""
    from docanalyzer.store import db, repository
    from docanalyzer.web import auth

    password = new_password(generate_password)
    db.upgrade()
    user = repository.create_user(db.engine(), name, role.value, auth.hash_password(password))
    typer.echo(f"已添加用户 {user['name']}（{user['role']}）")
    show_generated(password, generate_password)


@users_app.command("passwd")
def users_passwd(
    name: Annotated[str, typer.Argument(help="The account whose password to set.")],
    generate_password: Generate = False,
) -> None:
    """Set a new password for an account (and turn it on again if it was off)."""
    from docanalyzer.store import db, repository
    from docanalyzer.web import auth

    db.upgrade()
    found = repository.find_user(db.engine(), name)
    if found is None:
        fail(f"[E401] 没有用户 {name!r}。请用 `docanalyzer users add` 添加。")
        raise typer.Exit(1)
    password = new_password(generate_password)
    repository.update_user(db.engine(), found["id"], active=True, password_hash=auth.hash_password(password))
    typer.echo(f"已为 {found['name']} 设置新密码")
    show_generated(password, generate_password)


@users_app.command("list")
def users_list() -> None:
    """List the accounts with their roles."""
    from docanalyzer.store import db, repository

    db.upgrade()
    users = repository.list_users(db.engine())
    for u in users:
        state = "启用" if u["active"] else "停用"
        login = "" if u["can_sign_in"] else "  （无密码：仅是审核历史中的名字）"
        typer.echo(f"{u['name']}\t{u['role']}\t{state}{login}")


def main() -> None:
    try:
        app()
    except DocanalyzerError as e:  # every command's errors end here: one clear line, exit 1
        fail(e.message)
        sys.exit(1)
