"""Canonical JSON is made by orjson for speed; it must stay byte for byte what the hash rule
says: `json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.audit import body_text, canonical_json
from storage.database import json_text

# every kind of text: control characters, quotes, backslashes, non-ASCII, astral planes
TEXT = st.text(st.characters(blacklist_categories=["Cs"]), max_size=20)
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=20,
)


def _stdlib(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(TEXT, VALUES, max_size=6))
def test_canonical_json_is_the_standard_librarys_text(value: dict[str, Any]) -> None:
    assert canonical_json(value) == _stdlib(value).encode("utf-8")
    assert body_text(value) == _stdlib(value)
    assert json_text(value) == _stdlib(value)  # what a JSON column stores


def test_floats_are_still_refused() -> None:
    with pytest.raises(TypeError, match="floats"):
        canonical_json({"a": [1, 2.5]})


ODD = st.recursive(
    VALUES | st.tuples(st.integers()) | st.just(0.5),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.tuples(inner, inner)
        | st.dictionaries(TEXT | st.integers(), inner, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(TEXT | st.integers(), ODD, max_size=5))
def test_the_plain_value_shortcut_dumps_what_the_float_checking_copy_does(
    value: dict[Any, Any],
) -> None:
    """Evidence with nothing to convert is dumped as it is (`_is_plain`); whatever the value
    (tuples, whole-number keys, floats), the bytes or the refusal are those of the copy."""
    from engine.chain import _no_floats

    def outcome(dump: Any) -> Any:
        try:
            return dump()
        except TypeError as exc:  # floats refused, or a number beyond 64 bits
            return type(exc), str(exc)

    expected = outcome(lambda: orjson.dumps(_no_floats(value), option=orjson.OPT_SORT_KEYS))
    assert outcome(lambda: canonical_json(value)) == expected
