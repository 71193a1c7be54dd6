"""Built-in platform-type plugin: marketplace (being written)."""
