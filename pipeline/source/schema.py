"""Typed schemas of the TOML files: frozen dataclasses, checked here, every problem at once.

A schema is a dataclass whose fields are str, int, float, bool, datetime.date, Literal,
PositiveInt, lists, tables of tables and other schemas. Values keep their TOML types: "14" is
not a number and 2024-07-24T10:00 is not a date. `check` returns the instance or raises
SchemaError with one Problem per wrong key, each with the key's path and a plain-worded kind.

The checker of each type is made once per process from its annotation (a closure per field, no
generated source): a document is walked once, problems collected in the schema's field order,
a table's unknown keys (sorted) after its fields' problems.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

from pipeline.i18n import N_
from pipeline.source.tomlpos import KeyPath

T = TypeVar("T")


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
    """Field metadata with the description that diagnostics quote: field(metadata=doc(…))."""
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
    problems: list[Problem] = []
    checked = _checker(typing.cast(Any, schema))(data, (), problems)
    if problems:
        raise SchemaError(problems)
    return typing.cast(T, checked)


@dataclass(frozen=True)
class Field:
    """A field of a schema: its type (resolved), whether the TOML must give it, its metadata."""

    name: str
    type: Any
    required: bool
    metadata: Mapping[str, Any]


def is_schema(annotation: Any) -> bool:
    """Whether a type is a schema class (a table)."""
    return isinstance(annotation, type) and dataclasses.is_dataclass(annotation)


def fields_of(schema: type[Any] | None) -> dict[str, Field]:
    """A schema's fields by name (no fields for None)."""
    return dict(_fields(typing.cast(Any, schema))) if schema is not None else {}


@functools.cache
def _fields(schema: type[Any]) -> dict[str, Field]:
    hints = typing.get_type_hints(schema, include_extras=True)  # PositiveInt keeps its mark
    no = dataclasses.MISSING
    return {
        f.name: Field(f.name, hints[f.name], f.default is f.default_factory is no, f.metadata)
        for f in dataclasses.fields(schema)
    }


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
    if is_schema(annotation):
        return typing.cast(type[Any], annotation)
    for arg in get_args(annotation):
        found = _inner_schema(arg)
        if found is not None:
            return found
    return None


# -- the checkers: exact TOML types, containers checked before their items ----------------------

# check(value, loc, problems) → the value as the schema has it, or _FAILED after adding problems
Checker = Callable[[Any, KeyPath, list[Problem]], Any]
Leaf = Callable[[Any], Any]  # a single value: returns it converted, or raises _WrongValue
_FAILED: Any = object()
_KINDS = {str: "string_type", int: "int_type", bool: "bool_type", datetime.date: "date_type"}


def _exact(kind: type[Any], words: str) -> Leaf:
    def leaf(value: Any) -> Any:
        if type(value) is not kind:  # bool is an int and datetime a date; neither is meant
            raise _WrongValue(words)
        return value

    return leaf


def _float(value: Any) -> float:
    if type(value) not in (int, float):
        raise _WrongValue("float_type")
    return float(value)


def _positive(value: Any) -> int:
    if type(value) is not int:
        raise _WrongValue("int_type")
    if value < 1:
        raise _WrongValue("greater_than")
    return value


def _is_positive(annotation: Any) -> bool:
    return get_origin(annotation) is Annotated and any(
        isinstance(meta, _Positive) for meta in annotation.__metadata__
    )


def _literal(annotation: Any) -> Leaf:
    allowed = get_args(annotation)

    def leaf(value: Any) -> Any:
        if value not in allowed or type(value) is bool:
            raise _WrongValue("value_error", "one of " + ", ".join(map(_quoted, allowed)))
        return value

    return leaf


def _quoted(value: object) -> str:
    return f'"{value}"' if isinstance(value, str) else str(value)


def _is_union(annotation: Any) -> bool:
    return get_origin(annotation) in (Union, types.UnionType)


def _noun(annotation: Any) -> str:
    """What a value of a type is called in a message: 'a whole number', '"auto"'."""
    if _is_positive(annotation):
        return KIND_WORDS["greater_than"]
    if get_origin(annotation) is Literal:
        return " or ".join(map(_quoted, get_args(annotation)))
    return KIND_WORDS.get(_KINDS.get(annotation, ""), getattr(annotation, "__name__", "a value"))


def _leaf(annotation: Any) -> Leaf | None:
    """The check of a single value of this type; None for a container or a table."""
    if annotation in _KINDS:
        return _exact(annotation, _KINDS[annotation])
    if annotation is float:
        return _float
    if _is_positive(annotation):
        return _positive
    if get_origin(annotation) is Literal:
        return _literal(annotation)
    if get_origin(annotation) is tuple:
        return _tuple(annotation)
    return None


def _tuple(annotation: Any) -> Leaf:
    """A fixed-length tuple, such as a colour: a TOML list of exactly that many numbers."""
    members = get_args(annotation)
    leaves = [_leaf(member) for member in members]
    words = f"a list of {len(members)} numbers"

    def leaf(value: Any) -> tuple[Any, ...]:
        if type(value) is not list or len(value) != len(members):
            raise _WrongValue("value_error", words)
        try:
            return tuple(each(v) for each, v in zip(leaves, value, strict=True) if each)
        except _WrongValue:
            raise _WrongValue("value_error", words) from None

    if not all(leaves):
        raise TypeError(f"a tuple of single values is expected, not {annotation}")
    return leaf


def _of_leaf(leaf: Leaf) -> Checker:
    def check(value: Any, loc: KeyPath, problems: list[Problem]) -> Any:
        try:
            return leaf(value)
        except _WrongValue as exc:
            problems.append(Problem(loc, exc.kind, exc.message))
            return _FAILED

    return check


# The container each kind of checker takes, and its words when the value is not one.
_CONTAINERS = {
    "list": (list, "list_type"),
    "dict": (dict, "dict_type"),
    "table": (dict, "model_type"),
}


def _container(annotation: Any) -> tuple[type[Any], str] | None:
    if get_origin(annotation) is list:
        return _CONTAINERS["list"]
    if get_origin(annotation) is dict:
        return _CONTAINERS["dict"]
    if is_schema(annotation):
        return _CONTAINERS["table"]
    return None


@functools.cache
def _checker(annotation: Any) -> Checker:
    """The checker of a type, made once."""
    leaf = _leaf(annotation)
    if leaf is not None:
        return _of_leaf(leaf)
    if _is_union(annotation):
        return _union(annotation)
    if get_origin(annotation) is list:
        return _list(annotation)
    if get_origin(annotation) is dict:
        return _dict(annotation)
    if is_schema(annotation):
        return _table(annotation)
    raise TypeError(f"no schema checker for {annotation!r}")


def _union(annotation: Any) -> Checker:
    """A value that may be one of several kinds: the first that takes it; None is never TOML.

    A member that is a list or a table takes any value of its container type, problems and all.
    """
    members = [arg for arg in get_args(annotation) if arg is not type(None)]
    words = ", or ".join(_noun(member) for member in members)
    tries = [(_leaf(member), _container(member), member) for member in members]

    def check(value: Any, loc: KeyPath, problems: list[Problem]) -> Any:
        if value is None:
            return None
        failed: list[_WrongValue] = []
        for leaf, container, member in tries:
            if leaf is not None:
                try:
                    return leaf(value)
                except _WrongValue as exc:
                    failed.append(exc)
            elif container is not None and type(value) is not container[0]:
                failed.append(_WrongValue(container[1]))
            else:
                return _checker(member)(value, loc, problems)
        wrong = failed[0] if len(failed) == 1 else _WrongValue("value_error", words)
        problems.append(Problem(loc, wrong.kind, wrong.message))
        return _FAILED

    return check


def _list(annotation: Any) -> Checker:
    (item_type,) = get_args(annotation)

    def check(value: Any, loc: KeyPath, problems: list[Problem]) -> Any:
        if type(value) is not list:
            problems.append(Problem(loc, "list_type"))
            return _FAILED
        item = _checker(item_type)
        checked = [item(v, (*loc, index), problems) for index, v in enumerate(value)]
        return _FAILED if any(v is _FAILED for v in checked) else checked

    return check


def _dict(annotation: Any) -> Checker:
    key_type, value_type = get_args(annotation)

    def check(value: Any, loc: KeyPath, problems: list[Problem]) -> Any:
        if type(value) is not dict:
            problems.append(Problem(loc, "dict_type"))
            return _FAILED
        key_check, value_check = _checker(key_type), _checker(value_type)
        checked: dict[Any, Any] = {}
        failed = False
        for key, item in value.items():
            at = (*loc, key)
            item = value_check(item, at, problems)
            key = key_check(key, at, problems) if item is not _FAILED else _FAILED
            if key is _FAILED:
                failed = True
            else:
                checked[key] = item
        return _FAILED if failed else checked

    return check


def _table(schema: type[Any]) -> Checker:
    """A table: its fields in order (missing ones where required), then its unknown keys."""
    fields: list[tuple[str, Any, bool]] = []

    def check(value: Any, loc: KeyPath, problems: list[Problem]) -> Any:
        if type(value) is not dict:
            problems.append(Problem(loc, "model_type"))
            return _FAILED
        if not fields:
            for name, found in fields_of(schema).items():
                fields.append((name, found.type, found.required))
        before = len(problems)
        checked = {}
        for name, annotation, required in fields:
            if name in value:
                item = _checker(annotation)(value[name], (*loc, name), problems)
                if item is not _FAILED:
                    checked[name] = item
            elif required:
                problems.append(Problem((*loc, name), "missing"))
        unknown = value.keys() - {name for name, _, _ in fields}
        problems += [Problem((*loc, name), "extra_forbidden") for name in sorted(unknown)]
        if len(problems) > before:
            return _FAILED
        try:
            return schema(**checked)
        except Exception as exc:  # anything a class itself refuses
            words = f"a valid value ({exc})" if str(exc) else "a valid value"
            problems.append(Problem(loc, "value_error", words))
            return _FAILED

    return check
