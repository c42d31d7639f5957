"""The report stage: the research draft (`markdown`), the public record (`record`, checked against
config/schemas/record.schema.json) and its page (`pages`, with inline SVG `figures`), the index
page across questions, and the append-only correction files (`corrections`); `stage` renders all
three outputs of a question before any is written."""

__all__ = ["corrections", "figures", "markdown", "pages", "record", "stage"]
