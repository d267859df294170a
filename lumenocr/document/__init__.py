"""Document understanding on top of the line pipeline: page orientation, layout regions,
tables, column-aware reading order and Markdown/HTML rendering, as pipeline stages."""
