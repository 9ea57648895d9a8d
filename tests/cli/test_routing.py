"""`main.py WORD`: a mistyped command says "unknown command" with the closest match and exits 2;
only no arguments, options or an existing file open the studio."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import main as entry
from app.cli.main import SUBCOMMANDS
from app.cli.routing import closest_command, route

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def studio_calls(monkeypatch):
    """Replace the studio with a recorder: the test fails loudly if a window would open unexpectedly."""
    calls: list[list[str]] = []
    import app.ui.app as ui_app

    monkeypatch.setattr(ui_app, "run_studio", lambda argv: calls.append(list(argv)) or 0)
    return calls


@pytest.mark.parametrize("argv, hint", [
    (["inpsect", "clip.mp4"], "inspect"),
    (["conver", "a.bvh"], "convert"),
    (["multivew"], "multiview"),
    (["prepare_body"], "prepare-body"),
])
def test_typo_names_the_closest_command_and_exits_2(argv, hint, studio_calls, capsys):
    assert entry.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: unknown command '{argv[0]}'")
    assert f"did you mean '{hint}'" in err and len(err.splitlines()) == 1
    assert studio_calls == []


def test_unknown_command_with_help_lists_commands(studio_calls, capsys):
    assert entry.main(["soar", "--help"]) == 2
    err = capsys.readouterr().err
    assert "unknown command 'soar'" in err and "inspect" in err and "generate" in err
    assert studio_calls == []


def test_missing_file_and_folder_do_not_open_the_studio(tmp_path, studio_calls, capsys):
    assert entry.main([str(tmp_path / "missing.bvh")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert entry.main([str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err
    assert studio_calls == []


def test_existing_file_options_or_nothing_open_the_studio(tmp_path, studio_calls):
    clip = tmp_path / "walk.npz"
    clip.write_bytes(b"x")
    assert entry.main([str(clip)]) == 0
    assert entry.main([]) == 0
    assert entry.main(["--no-body"]) == 0
    assert studio_calls == [[str(clip)], [], ["--no-body"]]


def test_routing_follows_subcommands_list():
    """New subcommands (another module adds them to SUBCOMMANDS) route to the CLI without changes here."""
    assert route(["batch", "x"], SUBCOMMANDS + ("batch",)).kind == "cli"
    assert route(["bacth"], SUBCOMMANDS + ("batch",)).message.count("'batch'") == 1
    for name in SUBCOMMANDS:
        assert route([name], SUBCOMMANDS).kind == "cli"
    assert route(["-v", "info"], SUBCOMMANDS).kind == "cli"
    assert closest_command("zzzz", SUBCOMMANDS) is None


def test_main_py_subprocess_typo():
    r = subprocess.run([sys.executable, str(REPO / "main.py"), "inpsect", "clip.mp4"], capture_output=True,
                       text=True, timeout=60, env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"})
    assert r.returncode == 2 and "did you mean 'inspect'" in r.stderr and "Traceback" not in r.stderr
