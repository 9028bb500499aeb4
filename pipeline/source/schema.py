"""Typed schemas of the TOML files: frozen attrs classes, checked by cattrs, every problem at once.

A schema is an attrs class whose fields are str, int, float, bool, datetime.date, Literal,
PositiveInt, lists, tables of tables and other schemas. Values keep their TOML types: "14" is
not a number and 2024-07-24T10:00 is not a date. `check` returns the instance or raises
SchemaError with one Problem per wrong key, each with the key's path and a plain-worded kind.
"""

from __future__ import annotations

import datetime
import functools
import types
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

import attrs
import cattrs
from cattrs.cols import list_structure_factory, mapping_structure_factory
from cattrs.errors import (
    AttributeValidationNote,
    BaseValidationError,
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
)
from cattrs.gen import make_dict_structure_fn

from pipeline.i18n import N_
from pipeline.source.tomlpos import KeyPath

T = TypeVar("T")
Hook = Callable[[Any, Any], Any]


class _Positive:
    """Marks an int that must be at least 1."""


PositiveInt = Annotated[int, _Positive()]

# What each kind of value must be, as the words after "must be".
KIND_WORDS = {
    "string_type": N_("text in double quotes"),
    "int_type": N_("a whole number"),
    "greater_than": N_("a positive whole number"),
    "float_type": N_("a number"),
    "bool_type": N_("true or false"),
    "date_type": N_("a date"),
    "list_type": N_('a list such as ["甲", "乙"]'),
    "model_type": N_("a table"),
    "dict_type": N_("a table"),
}


def doc(description: str) -> dict[str, str]:
    """Field metadata with the description that diagnostics quote: attrs.field(metadata=doc(…))."""
    return {"description": description}


@dataclass(frozen=True)
class Problem:
    """One key whose value does not fit the schema."""

    loc: KeyPath
    kind: str  # missing, extra_forbidden, value_error or a key of KIND_WORDS
    message: str = ""  # the words after "must be", for value_error


class SchemaError(Exception):
    """The problems of one document, in the order of the schema's fields."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


class _WrongValue(Exception):
    """Raised by a hook: the value is of the wrong kind (a KIND_WORDS key) or out of range."""

    def __init__(self, kind: str, message: str = "") -> None:
        super().__init__(message or kind)
        self.kind, self.message = kind, message


def check(data: Any, schema: type[T]) -> T:
    """`data` (parsed TOML) as an instance of `schema`; SchemaError lists every problem."""
    try:
        return _converter().structure(data, schema)
    except (BaseValidationError, ForbiddenExtraKeysError, _WrongValue) as exc:
        raise SchemaError(list(_problems(exc, ()))) from None


def fields_of(schema: type[Any] | None) -> dict[str, attrs.Attribute[Any]]:
    """A schema's fields by name (no fields for None)."""
    if schema is None:
        return {}
    return dict(attrs.fields_dict(attrs.resolve_types(schema)))


def schema_at(root: type[Any], loc: KeyPath) -> type[Any] | None:
    """The schema class of the table at `loc`, or None when `loc` is not a table."""
    schema: type[Any] | None = root
    key_next = False
    for part in loc:
        if schema is None or isinstance(part, int):
            continue
        if key_next:  # the key of a table of tables, such as [text.<name>]: same schema
            key_next = False
            continue
        found = fields_of(schema).get(str(part))
        if found is None:
            return None
        key_next = get_origin(found.type) is dict
        schema = _inner_schema(found.type)
    return schema


def description(schema: type[Any] | None, key: str) -> str | None:
    """The description of a schema's field, if it has one."""
    found = fields_of(schema).get(key)
    return found.metadata.get("description") if found else None


def _inner_schema(annotation: Any) -> type[Any] | None:
    if attrs.has(annotation):
        return typing.cast(type[Any], annotation)
    for arg in get_args(annotation):
        found = _inner_schema(arg)
        if found is not None:
            return found
    return None


def _problems(exc: BaseException, loc: KeyPath) -> Iterator[Problem]:
    """Flatten cattrs' exception groups into problems with the path of each key."""
    if isinstance(exc, ClassValidationError | IterableValidationError):
        noted, rest = exc.group_exceptions()
        for inner, note in noted:  # a table's key, or a list's index or a table of tables' key
            part = note.name if isinstance(note, AttributeValidationNote) else note.index
            yield from _problems(inner, (*loc, part))
        for inner in rest:
            yield from _problems(inner, loc)
    elif isinstance(exc, ForbiddenExtraKeysError):
        for name in sorted(exc.extra_fields):
            yield Problem((*loc, name), "extra_forbidden")
    elif isinstance(exc, KeyError):
        yield Problem(loc, "missing")
    elif isinstance(exc, _WrongValue):
        yield Problem(loc, exc.kind, exc.message)
    else:  # anything else a hook raised
        yield Problem(loc, "value_error", f"a valid value ({exc})" if str(exc) else "a valid value")


# -- the converter: exact TOML types, containers checked before their items ---------------------


def _exact(kind: type[Any], words: str) -> Hook:
    def hook(value: Any, _: Any) -> Any:
        if type(value) is not kind:  # bool is an int and datetime a date; neither is meant
            raise _WrongValue(words)
        return value

    return hook


def _float(value: Any, _: Any) -> float:
    if type(value) not in (int, float):
        raise _WrongValue("float_type")
    return float(value)


def _positive(value: Any, _: Any) -> int:
    if type(value) is not int:
        raise _WrongValue("int_type")
    if value < 1:
        raise _WrongValue("greater_than")
    return value


def _is_positive(annotation: Any) -> bool:
    return get_origin(annotation) is Annotated and any(
        isinstance(meta, _Positive) for meta in annotation.__metadata__
    )


def _literal(annotation: Any) -> Hook:
    allowed = get_args(annotation)

    def hook(value: Any, _: Any) -> Any:
        if value not in allowed or type(value) is bool:
            raise _WrongValue("value_error", "one of " + ", ".join(map(_quoted, allowed)))
        return value

    return hook


def _quoted(value: object) -> str:
    return f'"{value}"' if isinstance(value, str) else str(value)


def _is_union(annotation: Any) -> bool:
    return get_origin(annotation) in (Union, types.UnionType)


def _union(annotation: Any, converter: cattrs.Converter) -> Hook:
    """A value that may be one of several kinds: the first that takes it; None is never TOML."""
    members = [arg for arg in get_args(annotation) if arg is not type(None)]
    hooks = [converter.get_structure_hook(member) for member in members]
    words = ", or ".join(_noun(member) for member in members)

    def hook(value: Any, _: Any) -> Any:
        if value is None:
            return None
        failed: list[_WrongValue] = []
        for member, member_hook in zip(members, hooks, strict=True):
            try:
                return member_hook(value, member)
            except _WrongValue as exc:
                failed.append(exc)
        if len(failed) == 1:
            raise failed[0]
        raise _WrongValue("value_error", words)

    return hook


_KINDS = {str: "string_type", int: "int_type", bool: "bool_type", datetime.date: "date_type"}


def _noun(annotation: Any) -> str:
    """What a value of a type is called in a message: 'a whole number', '"auto"'."""
    if _is_positive(annotation):
        return KIND_WORDS["greater_than"]
    if get_origin(annotation) is Literal:
        return " or ".join(map(_quoted, get_args(annotation)))
    return KIND_WORDS.get(_KINDS.get(annotation, ""), getattr(annotation, "__name__", "a value"))


def _guarded(kind: type[Any], words: str, inner: Hook) -> Hook:
    """Check the container's own type first: cattrs would iterate a string as a list."""

    def hook(value: Any, annotation: Any) -> Any:
        if type(value) is not kind:
            raise _WrongValue(words)
        return inner(value, annotation)

    return hook


def _tuple(annotation: Any, converter: cattrs.Converter) -> Hook:
    """A fixed-length tuple, such as a colour: a TOML list of exactly that many numbers."""
    members = get_args(annotation)
    hooks = [converter.get_structure_hook(member) for member in members]
    words = f"a list of {len(members)} numbers"

    def hook(value: Any, _: Any) -> tuple[Any, ...]:
        if type(value) is not list or len(value) != len(members):
            raise _WrongValue("value_error", words)
        try:
            return tuple(h(v, m) for h, v, m in zip(hooks, value, members, strict=True))
        except _WrongValue:
            raise _WrongValue("value_error", words) from None

    return hook


def _origin_is(origin: Any) -> Callable[[Any], bool]:
    return lambda annotation: get_origin(annotation) is origin


def _list(annotation: Any, converter: cattrs.Converter) -> Hook:
    return _guarded(list, "list_type", list_structure_factory(annotation, converter))


def _dict(annotation: Any, converter: cattrs.Converter) -> Hook:
    return _guarded(dict, "dict_type", mapping_structure_factory(annotation, converter))


def _table(annotation: Any, converter: cattrs.Converter) -> Hook:
    return _guarded(dict, "model_type", make_dict_structure_fn(annotation, converter))


@functools.cache
def _converter() -> cattrs.Converter:
    converter = cattrs.Converter(detailed_validation=True, forbid_extra_keys=True)
    for kind, words in _KINDS.items():
        converter.register_structure_hook(kind, _exact(kind, words))
    converter.register_structure_hook(float, _float)
    converter.register_structure_hook_func(_is_positive, _positive)
    factories: list[tuple[Callable[[Any], bool], Callable[[Any, cattrs.Converter], Hook]]] = [
        (_origin_is(Literal), lambda annotation, _: _literal(annotation)),
        (_is_union, _union),
        (_origin_is(list), _list),
        (_origin_is(dict), _dict),
        (_origin_is(tuple), _tuple),
        (attrs.has, _table),
    ]
    for predicate, factory in factories:
        converter.register_structure_hook_factory(predicate, factory)
    return converter
