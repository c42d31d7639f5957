"""Settings at the schema's defaults (the one place defaults are stated), with overrides."""

from __future__ import annotations


def default_config(**sections) -> dict:
    """A whole config as the schema fills it (every default stated there once), with `sections`
    overriding, e.g. default_config(filter={"threshold": 0.2})."""
    from sovereign.config.checks import default_config as filled

    return filled(sections)


def review_settings(**overrides):
    """The tribunal's settings at the schema's defaults, with `overrides`."""
    from dataclasses import replace

    from sovereign.review.settings import Settings

    return replace(Settings.from_config(default_config()), **overrides)


def claims_settings(**overrides):
    from dataclasses import replace

    from sovereign.claims.settings import Settings

    return replace(Settings.from_config(default_config()), **overrides)


def answer_settings(**overrides):
    from dataclasses import replace

    from sovereign.answer.settings import Settings, rerun_params

    return replace(Settings.from_params(rerun_params(default_config())), **overrides)
