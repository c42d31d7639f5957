"""The report stage: the research draft (`markdown`), the public record (`record`, built from its
`inputs` with its `quality` and `provenance`, checked against config/schemas/record.schema.json)
and its page (`record_page`, with its `record_sections`, `record_figures` and the SVG `figures`
and `dotplot`, all through the `html` and `svg` toolkits), the index page across questions
(`index_page`), and the append-only correction files (`corrections`); `stage` renders a
question's three outputs before any is written.

Public (`__all__`, what other packages and the workflow import): `corrections`, `inputs`,
`record`, `index_page`, `settings`, `stage`; the rest is the report's own machinery."""

__all__ = ["corrections", "index_page", "inputs", "record", "settings", "stage"]
