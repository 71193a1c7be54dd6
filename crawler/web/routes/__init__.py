"""Routers of the web app: accounts API, login and placeholder pages."""
