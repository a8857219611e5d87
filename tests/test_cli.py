"""The command line as users meet it: every command documented, settings from env and TOML."""

from __future__ import annotations

import json
import re

from conftest import ROOT, run_cli
from docanalyzer.cli import app


def command_names():
    import typer

    group = typer.main.get_group(app)
    names = []
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            names += [f"{name} {sub}" for sub in command.commands]
        else:
            names.append(name)
    return names


def test_every_command_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`docanalyzer ([a-z]+(?: [a-z]+)?)", readme))
    for name in command_names():
        assert any(d == name or d.startswith(name + " ") or d == name.split()[0] for d in documented), name


def test_config_lists_every_setting_with_env_and_toml_sources(tmp_path):
    from docanalyzer import config

    (tmp_path / "conf.toml").write_text("max_file_mb = 7\nocr = false\n", encoding="utf-8")
    result = run_cli(
        "config", env={"DOCANALYZER_CONFIG": str(tmp_path / "conf.toml"), "DOCANALYZER_OCR_DPI": "150"}
    )
    assert result.returncode == 0
    for setting in config.SETTINGS:
        assert f"{setting.name} = " in result.stdout and setting.env in result.stdout
    assert "max_file_mb = 7  [toml" in result.stdout
    assert "ocr = False  [toml" in result.stdout
    assert "ocr_dpi = 150  [env" in result.stdout


def test_parse_json_lists_documents_and_offsets_hold(tmp_path):
    (tmp_path / "a.txt").write_text(
        "一、存在的问题\n1.主体责任落实不到位。党组书记履职不力。\n", encoding="utf-8"
    )
    (tmp_path / "b.txt").write_text("某某局党组\n2026年3月1日\n", encoding="utf-8")
    result = run_cli("parse", "--format", "json", str(tmp_path / "a.txt"), str(tmp_path / "b.txt"))
    docs = json.loads(result.stdout)
    assert [d["file"] for d in docs] == ["a.txt", "b.txt"]
    for doc in docs:
        for block in doc["blocks"]:
            assert doc["text"][block["char_start"] : block["char_end"]] == block["text"]
    assert docs[1]["date"] == "2026-03-01" and docs[1]["issuer"] == "某某局党组"


def test_python_dash_m_and_help_work():
    result = run_cli("--help")
    assert result.returncode == 0 and "extract" in result.stdout


def test_a_bad_setting_is_one_line_naming_it_and_what_it_accepts(tmp_path):
    cases = [
        ({"DOCANALYZER_PORT": "abc"}, "port", "1 到 65535"),
        ({"DOCANALYZER_SESSION_HOURS": "0.5"}, "session_hours", "整数"),
        ({"DOCANALYZER_OCR": "maybe"}, "ocr", "true 或 false"),
        ({"DOCANALYZER_PDF_ENGINE": "fast"}, "pdf_engine", "auto、pdfplumber"),
        ({"DOCANALYZER_TRUSTED_PROXIES": "10.0.0.1,proxy"}, "trusted_proxies", "IP"),
        ({"DOCANALYZER_WORKERS": "-1"}, "workers", "不小于 0"),
    ]
    for env, name, accepts in cases:
        for command in (["config"], ["extract", str(ROOT / "examples" / "e2_plan.docx")]):
            result = run_cli(*command, env=env)
            assert result.returncode == 1, (env, result.stdout)
            line = result.stderr.strip()
            assert "\n" not in line and "[E010]" in line and name in line and accepts in line, line
    (tmp_path / "conf.toml").write_text("port = 8001\nsesion_hours = 3\n", encoding="utf-8")
    result = run_cli("config", env={"DOCANALYZER_CONFIG": str(tmp_path / "conf.toml")})
    assert result.returncode == 1 and "sesion_hours" in result.stderr and "Traceback" not in result.stderr
    (tmp_path / "conf.toml").write_text("port = 8001\n", encoding="utf-8")
    result = run_cli("config", env={"DOCANALYZER_CONFIG": str(tmp_path / "conf.toml")})
    assert result.returncode == 0 and "port = 8001  [toml" in result.stdout


def test_a_port_out_of_range_is_a_usage_error():
    for command in ("serve", "run"):
        result = run_cli(command, "--port", "70000")
        assert result.returncode == 2 and "65535" in result.stderr, result.stderr


def test_every_error_code_is_documented_once_and_means_one_thing():
    """docs/ERRORS.md is the table of codes: each code raised or printed in the package has a row,
    and no two error classes share a code."""
    from docanalyzer.errors import DocanalyzerError

    table = (ROOT / "docs" / "ERRORS.md").read_text(encoding="utf-8")
    documented = re.findall(r"^\| (E\d{3}) \|", table, flags=re.M)
    assert len(documented) == len(set(documented))
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "docanalyzer").rglob("*.py"))
    used = set(re.findall(r'code = "(E\d{3})"', source)) | set(re.findall(r"\[(E\d{3})\]", source))
    assert used <= set(documented), sorted(used - set(documented))

    import docanalyzer.ingest
    import docanalyzer.store
    import docanalyzer.web.server  # noqa: F401 (their error classes)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    codes = {}
    for cls in subclasses(DocanalyzerError):
        if "code" in vars(cls):
            assert codes.setdefault(cls.code, cls) is cls, (cls.code, codes[cls.code], cls)
