"""Every plugin's extraction fixtures: the current extractors must still produce the expected listings."""

from __future__ import annotations

import pytest

from crawler.fixtures import Fixture, check, discover
from crawler.plugins import get_plugin_manager

PM = get_plugin_manager()
FIXTURES = discover(PM)


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.name for f in FIXTURES])
def test_fixture_extracts_as_expected(fixture: Fixture) -> None:
    problems = check(PM, fixture)
    assert not problems, f"{fixture.path}:\n  " + "\n  ".join(problems)
