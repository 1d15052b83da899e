"""The demo's data files (demo/data/): TOML for the register, the people, the recipients and
the connectors, plain text for the privacy policy."""

import tomllib
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"


@cache
def load(name: str) -> dict:
    """demo/data/<name>.toml, parsed once per process."""
    with (DATA_DIR / f"{name}.toml").open("rb") as handle:
        return tomllib.load(handle)


def text(name: str) -> str:
    return (DATA_DIR / name).read_text(encoding="utf-8").strip()
