"""The analyst HTTP API and web page (FastAPI, server-rendered Jinja2): ``create_app(db_config)``."""

from crawler.web.app import create_app
from crawler.web.config import WebSettings

__all__ = ["WebSettings", "create_app"]
