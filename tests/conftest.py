"""Shared fixtures: real documents built in temporary folders, and the evaluation samples."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
EVAL = SHARED / "eval"


def missing(what: str, fix: str) -> None:
    """Skip a test that needs ``what``, except under CI=true, where its absence is a failure."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is missing under CI: {fix}")
    pytest.skip(f"{what} is missing: {fix}")


def require_tool(name: str) -> str:
    """The path of a system tool; skip without it, except under CI=true where it must be installed."""
    path = shutil.which(name)
    if not path:
        missing(name, ".ci/run must install it")
    return path


def require_shared(*parts: str) -> Path:
    """A path under ../shared/eval, which a user's checkout does not have (CI's has)."""
    path = EVAL.joinpath(*parts)
    if not path.exists():
        missing(f"../shared/eval/{'/'.join(parts)}", "CI lays ../shared beside the checkout")
    return path


def run_cli(*args: str, stdin: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the real command line in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "docanalyzer", *args],
        capture_output=True,
        text=True,
        input=stdin,
        env={**os.environ, **(env or {})},
        timeout=300,
    )


@pytest.fixture(scope="session")
def eval_samples(tmp_path_factory) -> Path:
    """The ../shared/eval samples rendered to real files (with the prebuilt Word-exported PDF)."""
    require_shared("render.py")
    out = tmp_path_factory.mktemp("eval")
    specs = sorted((EVAL / "samples").glob("*.json"))
    subprocess.run(
        [sys.executable, str(EVAL / "render.py"), *map(str, specs), "--out", str(out)],
        check=True,
        capture_output=True,
    )
    for f in (EVAL / "samples" / "lo").iterdir():
        shutil.copy(f, out)
    return out
