"""What the `sovereign` verbs read from, and add to, the Snakemake options they pass on: where
results, the sheet and the index are (the configuration as Snakemake will merge it), and one more
`--config` item."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .config.files import load_yaml
from .errors import SovereignError

# Snakemake options whose values are config files or config items
_CONFIGFILE_FLAGS = ("--configfile", "--configfiles")
_CONFIG_FLAGS = ("--config", "-C")


def merged_config(root: Path, forwarded: list[str]) -> dict[str, Any]:
    """The configuration as Snakemake will see it, as far as the verbs need to know (where
    results, the sheet and the index are): config/config.yaml, then each --configfile, then
    --config key=value items, over the schema's defaults. (Snakemake checks it all again.)"""
    import yaml

    from .config.checks import default_config

    config = load_yaml(root / "config" / "config.yaml") or {}
    for path in _values(forwarded, _CONFIGFILE_FLAGS):
        config = _deep_merge(config, load_yaml(path) or {})
    for item in _values(forwarded, _CONFIG_FLAGS):
        key, _, value = item.partition("=")
        try:
            parsed = yaml.safe_load(value)
        except yaml.YAMLError:
            parsed = value
        config = _deep_merge(config, {key: parsed})
    try:
        return default_config(config)
    except SovereignError:  # Snakemake says what is wrong, naming the file that set it
        return {"results": "results", "questions": "config/questions.tsv", **config}


def _deep_merge(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _values(args: list[str], flags: tuple[str, ...]) -> list[str]:
    """The values after each of the flags (up to the next option), in order."""
    values, taking = [], False
    for arg in args:
        if arg.startswith("-"):
            name, eq, value = arg.partition("=")
            taking = name in flags
            if taking and eq:
                values.append(value)
        elif taking:
            values.append(arg)
    return values


def with_config(args: list[str], item: str) -> list[str]:
    """args with one more --config item. Snakemake keeps only the last --config option, so the
    item joins the user's own --config when there is one."""
    for i, arg in enumerate(args):
        if arg in _CONFIG_FLAGS:
            return [*args[: i + 1], item, *args[i + 1 :]]
    return [*args, "--config", item]


def absolute_configfiles(args: list[str]) -> list[str]:
    """--configfile paths as the user meant them (from their directory; Snakemake runs in the
    workflow's)."""
    out, taking = [], False
    for arg in args:
        if arg.startswith("-"):
            taking = arg in _CONFIGFILE_FLAGS
        elif taking:
            arg = str(Path(arg).resolve())
        out.append(arg)
    return out


def dry(forwarded: list[str]) -> bool:
    return any(arg in ("-n", "--dry-run", "--dryrun") for arg in forwarded)
