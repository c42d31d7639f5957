"""Defaults are stated once, in config/schemas/config.schema.yaml; the key table of
docs/configuration.md quotes them, and this test holds every quoted default to the schema (and the
fitted semantic threshold to models/filter.json), so the two cannot drift apart."""

from __future__ import annotations

import re

import pytest
import yaml

from sovereign.filter.model import load_filter_model
from support.paths import REPO
from support.settings import default_config

CODE = re.compile(r"`([^`]*)`")


def _rows() -> list[tuple[str, str]]:
    text = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    table = text[text.index("| key | default | meaning |") :].split("\n\n", 1)[0]
    rows = []
    for line in table.splitlines()[2:]:
        key, default = [cell.strip() for cell in line.strip("|").split("|")][:2]
        rows.append((key, default))
    return rows


def _keys(cell: str) -> list[list[str]]:
    """`a.b` / `c` -> [[a, b], [a, c]]: later keys share the first one's section."""
    names = CODE.findall(cell)
    first = names[0].split(".")
    return [first] + [[*first[:-1], name] for name in names[1:]]


def _value(config: dict, path: list[str]):
    for part in path:
        config = config[part]
    return config


def _quoted(cell: str):
    """The default as docs/configuration.md writes it, parsed as YAML (`—` is no default)."""
    if cell.startswith("—"):
        return None
    return [yaml.safe_load(code) for code in CODE.findall(cell)]


ROWS = _rows()


def test_the_table_lists_every_key_of_the_schema():
    documented = {".".join(path) for key, _ in ROWS for path in _keys(key)}
    config = default_config()

    def leaves(node, prefix=()):
        for name, value in node.items():
            if isinstance(value, dict) and name not in ("weights", "policy"):
                yield from leaves(value, (*prefix, name))
            else:
                yield ".".join((*prefix, name))

    assert set(leaves(config)) == documented


@pytest.mark.parametrize(("key", "default"), ROWS, ids=[k for k, _ in ROWS])
def test_each_quoted_default_is_the_schemas(key, default):
    config = default_config()
    paths = _keys(key)
    if paths == [["review", "weights"]]:
        quoted = dict(pair.split() for pair in CODE.findall(default)[0].split(", "))
        assert {k: float(v) for k, v in quoted.items()} == config["review"]["weights"]
        return
    if paths == [["review", "policy"]]:
        quoted = dict(pair.split("→") for pair in CODE.findall(default)[0].split(", "))
        assert quoted == config["review"]["policy"]
        return
    quoted = _quoted(default)
    if quoted is None:  # no default: null or empty in the schema
        assert all(_value(config, p) in (None, "") for p in paths)
        return
    assert len(quoted) >= len(paths), f"{key}: a default for each key"
    for path, value in zip(paths, quoted, strict=False):
        assert _value(config, path) == value, ".".join(path)


def test_the_fitted_semantic_threshold_quoted_is_the_shipped_models():
    row = dict(ROWS)["`filter.semantic_threshold`"]
    fitted = float(re.search(r"the fitted ([0-9.]+)", row).group(1))
    assert fitted == load_filter_model().semantic_threshold
