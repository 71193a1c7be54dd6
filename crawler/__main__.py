"""``python -m crawler`` is the ``trawler`` command."""

from crawler.cli import main

main()
