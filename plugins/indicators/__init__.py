"""Built-in enrichment plugin: indicators (being written)."""
