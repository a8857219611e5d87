"""Render the example documents in examples/specs/ into examples/ (PDF and Word files).

    python examples/build.py

The rendered files are committed, so `make run` needs no build step; run this after
editing a spec.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from builders import load_spec, render  # noqa: E402

if __name__ == "__main__":
    for spec_path in sorted((HERE / "specs").glob("*.json")):
        print(render(load_spec(spec_path), HERE / spec_path.stem))
