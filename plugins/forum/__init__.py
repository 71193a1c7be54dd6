"""Built-in platform-type plugin: forum (being written)."""
