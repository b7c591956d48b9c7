"""The check every table of bad inputs makes: the run stops with a SettingsError whose problem names the key
and says what is wrong, before the program registered anything (or, for what only a lookup finds, anything
but the providers the lookup went through)."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from stacks.settings import SettingsError
from tests.harness import ProgramFailed


def assert_refused(run: Callable[[], Any], key: str, words: str, *, after_lookup: bool = False) -> None:
    with pytest.raises(ProgramFailed) as failure:
        run()
    registered = failure.value.registered
    if after_lookup:
        registered = [r for r in registered if not r.type.startswith("pulumi:providers:")]
    assert registered == []
    assert isinstance(failure.value.error, SettingsError)
    matching = [p for p in failure.value.error.problems if p.startswith(f"{key}: ")]
    assert matching, failure.value.error.problems
    assert words in matching[0], matching[0]
