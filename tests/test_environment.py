"""The pins: requirements.txt is the lock, environment.yml must agree with it exactly."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _pins(lines):
    out = {}
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#") or line.startswith("-e"):
            continue
        name, _, version = line.partition("==")
        assert version, f"not an exact pin: {line!r}"
        out[name.lower().replace("_", "-")] = version
    return out


def test_environment_yml_matches_requirements_lock():
    lock = _pins((ROOT / "requirements.txt").read_text().splitlines())
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    conda = _pins(pip_section)
    assert conda == lock, {
        "only in environment.yml": sorted(set(conda) - set(lock)),
        "only in requirements.txt": sorted(set(lock) - set(conda)),
        "different versions": sorted(k for k in set(lock) & set(conda) if lock[k] != conda[k]),
    }
    assert "python=3.11" in env["dependencies"]


def test_jupyter_book_is_pinned_to_1x():
    lock = _pins((ROOT / "requirements.txt").read_text().splitlines())
    assert lock["jupyter-book"].startswith("1.")
    assert "jupyter-book<2" in (ROOT / "requirements.in").read_text()


def test_direct_dependencies_are_locked():
    lock = _pins((ROOT / "requirements.txt").read_text().splitlines())
    direct = [
        line.split("<")[0].split("=")[0].strip().lower()
        for line in (ROOT / "requirements.in").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert [d for d in direct if d not in lock] == []
