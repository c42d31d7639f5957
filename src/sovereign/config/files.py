"""Reading the user's YAML files: a file that is missing, not UTF-8, not YAML or not a mapping
is one clear message naming the file and the line (Snakemake's own names neither).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from ..errors import ConfigError

if TYPE_CHECKING:
    pass


def load_yaml(path: str | os.PathLike[str]) -> Any:
    try:
        with open(path, encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except FileNotFoundError:
        raise ConfigError(str(path), "file not found", "check the path") from None
    except IsADirectoryError:
        raise ConfigError(str(path), "is a directory, not a YAML file", "check the path") from None
    except UnicodeDecodeError as err:
        raise ConfigError(
            str(path), f"not UTF-8 text (byte 0x{err.object[err.start]:02x})", "save it as UTF-8"
        ) from None
    except yaml.YAMLError as err:
        raise _yaml_error(str(path), err) from None


def _yaml_error(path: str, err: yaml.YAMLError) -> ConfigError:
    """One line naming where the YAML breaks (PyYAML's own text spans five lines)."""
    mark = getattr(err, "problem_mark", None)
    problem = getattr(err, "problem", None) or str(err).splitlines()[0]
    where = f"{path}: line {mark.line + 1}, column {mark.column + 1}" if mark else path
    context, start = getattr(err, "context", None), getattr(err, "context_mark", None)
    if context and start and mark and start.line != mark.line:
        problem += f" ({context} that starts on line {start.line + 1})"
    fix = "correct the YAML there"
    if "\\t" in problem:
        fix += " (indent with spaces: YAML does not allow tabs)"
    elif "mapping values" in problem:
        fix += " (quote a value that holds ': ')"
    return ConfigError(where, f"not valid YAML: {problem}", fix)


def check_config_file(path: str | os.PathLike[str], *, required: bool = True) -> None:
    """A config file Snakemake is about to load: readable YAML holding a mapping, or a clear
    ConfigError (Snakemake's own message names neither the file nor the line)."""
    if not required and not Path(path).exists():
        return
    data = load_yaml(path)
    if data is not None and not isinstance(data, dict):
        raise ConfigError(
            str(path),
            f"holds a YAML {_yaml_kind(data)}, not a mapping of keys",
            "write `key: value` lines at the top level, e.g. `filter: {threshold: 0.2}`",
        )


def _yaml_kind(value: Any) -> str:
    if isinstance(value, list):
        return "list"
    return "text" if isinstance(value, str) else "single value"
