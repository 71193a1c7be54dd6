"""Built-in enrichment plugin: language (being written)."""
