"""Trawler's built-in plugins. Each registers through the ``trawler.plugins`` entry-point group."""
