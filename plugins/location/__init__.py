"""Built-in enrichment plugin: location (being written)."""
