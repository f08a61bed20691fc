"""django-ninja names an OpenAPI component after its schema class: two classes with one name
silently replace each other in /api/openapi.json (the review's TeamOut once replaced the
teams API's, and every /api/teams answer then broke its documented schema)."""

from __future__ import annotations

from collections import Counter

from ninja import Schema


def _subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found.add(sub)
        found |= _subclasses(sub)
    return found


def test_it_gives_every_api_schema_its_own_name() -> None:
    import okapi.api  # noqa: F401  (imports every router)

    ours = [c for c in _subclasses(Schema) if c.__module__.startswith("okapi.")]
    counts = Counter(c.__name__ for c in ours)
    assert [name for name, n in counts.items() if n > 1] == []
