"""What the user configures, checked before any job runs: YAML files (`files`), the config
against its schema with the defaults filled in (`checks`), the question sheet (`questions`), and
every refusal said as one sentence naming the file and field, with its fix (`messages`)."""

__all__ = ["checks", "files", "questions"]
