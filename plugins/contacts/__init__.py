"""Built-in enrichment plugin: contacts (being written)."""
