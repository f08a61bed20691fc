"""Types and helpers shared by the API routers: validated strings, numbers, pagination."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

from django.db.models import QuerySet
from ninja import Field, Query, Schema
from pydantic import (
    AfterValidator,
    PlainValidator,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
)


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
Key = Annotated[str, Field(pattern=KEY_PATTERN, max_length=64)]
Email = Annotated[str, Field(max_length=254, pattern=r"^[^@\s\x00]+@[^@\s\x00]+\.[^@\s\x00]+$")]
OwnerRef = Annotated[
    str,
    Field(
        max_length=254,
        pattern=r"^([A-Za-z0-9][A-Za-z0-9_.-]{0,63}|[^@\s\x00]+@[^@\s\x00]+\.[^@\s\x00]+)$",
        description="a team key or a member's e-mail",
    ),
]


def Text(max_length: int, min_length: int = 0) -> Any:  # noqa: N802 - reads as a type
    return Annotated[
        str, Field(min_length=min_length, max_length=max_length), AfterValidator(_no_nul)
    ]


# A required text: a title, a name.
def Title(max_length: int) -> Any:  # noqa: N802
    return Text(max_length, min_length=1)


Number = Annotated[
    Decimal, Field(allow_inf_nan=False, max_digits=23, decimal_places=6, lt=10**17, gt=-(10**17))
]

_DATE_OR_TIME: TypeAdapter[dt.datetime | dt.date] = TypeAdapter(dt.datetime | dt.date)


def _date_or_time(value: Any) -> dt.datetime | dt.date:
    # One error for the field, not one per member of the union ("at.date", "at.datetime").
    try:
        return _DATE_OR_TIME.validate_python(value)
    except ValidationError:
        raise ValueError("must be an ISO 8601 date or date-time") from None


DateOrTime = Annotated[
    dt.datetime | dt.date,
    PlainValidator(_date_or_time),
    WithJsonSchema(_DATE_OR_TIME.json_schema()),
]

T = TypeVar("T")


class Page(Schema, Generic[T]):
    count: int
    items: list[T]


class PageParams(Schema):
    limit: int = Field(100, ge=1, le=1000, description="items per page (1–1000)")
    offset: int = Field(0, ge=0, le=1_000_000_000, description="items to skip")


def paginate(items: QuerySet[Any] | list[Any], params: PageParams) -> tuple[int, list[Any]]:
    if isinstance(items, list):
        return len(items), items[params.offset : params.offset + params.limit]
    return items.count(), list(items[params.offset : params.offset + params.limit])


PageQuery = Query[PageParams]


class Message(Schema):
    detail: str
