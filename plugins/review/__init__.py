"""Built-in platform-type plugin: review (being written)."""
