"""Install and repository hygiene: what a new user sees when setting up a fresh clone."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import warnings
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _readme_setup_command() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Set-up", 1)[1]
    return re.search(r"```bash\n(.*?)\n```", section, re.S).group(1)


def test_setup_command_leaves_the_checkout_clean():
    """Every file the README's set-up command writes is git-ignored (no stray sample.png)."""
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    words = shlex.split(_readme_setup_command())
    written = [words[i + 1] for i, w in enumerate(words) if w.endswith("make_sample.py")]
    written += [words[i + 1] for i, w in enumerate(words) if w == "--vis"]
    assert written, "the set-up command no longer writes a sample: update this test"
    for path in written:
        probe = path.rstrip("/") + ("/probe.png" if path.endswith("/") else "")
        rc = subprocess.run(["git", "-C", str(REPO), "check-ignore", "-q", probe]).returncode
        assert rc == 0, f"the set-up command writes {path}, which git status would show"


def test_make_sample_default_output_is_ignored(tmp_path, monkeypatch):
    """Run without an argument, the sample script writes under out/ (ignored), not the repo root."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_sample", REPO / "scripts" / "make_sample.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.chdir(tmp_path)
    assert module.main([]) == 0
    written = [p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()]
    assert written == ["out/sample.png"]


def test_license_is_an_spdx_string_without_setuptools_warnings():
    """``project.license`` as a table makes setuptools warn on every install (PEP 639)."""
    pytest.importorskip("setuptools")
    from setuptools.config.pyprojecttoml import apply_configuration
    from setuptools.dist import Distribution

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dist = apply_configuration(Distribution(), str(REPO / "pyproject.toml"))
    licence = [str(w.message) for w in caught if "license" in str(w.message).lower()]
    assert licence == []
    assert dist.metadata.license_expression == "Apache-2.0"


def test_install_script_shows_its_steps_and_pips_progress():
    """The set-up command must not sit silent for minutes: every step is announced and pip
    is not quietened."""
    script = (REPO / "scripts" / "install.sh").read_text(encoding="utf-8")
    assert subprocess.run(["bash", "-n", str(REPO / "scripts" / "install.sh")]).returncode == 0
    lines = [ln.strip() for ln in script.splitlines()]
    installs = [
        i
        for i, ln in enumerate(lines)
        if re.search(r"\bpip install\b|apt-get install", ln) and not ln.startswith("echo")
    ]
    assert installs
    for i in installs:
        assert not re.search(r"(^|\s)-q+(\s|$)|--quiet|>\s*/dev/null", lines[i]), lines[i]
        before = [ln for ln in lines[:i] if ln and not ln.startswith("#")]
        assert before[-1].startswith("step "), f"no step message before: {lines[i]}"
