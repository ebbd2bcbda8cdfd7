"""Write environment.yml (for conda users) from requirements.txt, the single source of the pins."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def pins() -> list[str]:
    lines = (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def render() -> str:
    body = "\n".join(f"      - {p}" for p in pins())
    return (
        "# Generated from requirements.txt by `make env-yml`; do not edit by hand.\n"
        "name: malstyring\n"
        "channels:\n  - conda-forge\n"
        "dependencies:\n  - python=3.11\n  - pip\n  - pip:\n"
        f"{body}\n      - -e .\n"
    )


if __name__ == "__main__":
    (ROOT / "environment.yml").write_text(render(), encoding="utf-8")
    print("wrote environment.yml")
