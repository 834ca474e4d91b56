"""German text ordering and case-insensitive matching that behave the same on SQLite and PostgreSQL.

``order_by(german_sort(Person.last_name))`` sorts like a German reader expects (DIN 5007-1, dictionary
order): "Ärzte" next to "Arzt", "Öl" next to "Ol", "Straße" like "Strasse", upper and lower case together.

- PostgreSQL: the ICU collation ``de-DE-x-icu`` (initdb imports it where the server is built with ICU, as on
  Debian); ``COLLATE "de-DE-x-icu"`` is appended to the expression.
- SQLite: a Python collation ``german`` registered on every connection (planner/__init__.py) with
  :func:`german_key`; SQLite's ASCII-only ``lower()``/``upper()`` are replaced by Unicode-aware ones so
  ``ilike`` (which SQLAlchemy compiles to ``lower(x) LIKE lower(y)`` on SQLite) matches "ÄRZTE" with
  "ärzte" as PostgreSQL's ``ILIKE`` does.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import coercions, roles
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

POSTGRES_COLLATION = "de-DE-x-icu"
SQLITE_COLLATION = "german"


@lru_cache(maxsize=65536)
def german_key(value: str) -> tuple[str, str, str]:
    """Primary: letters without accents, case folded (ß → ss); then accents; then lower case before upper."""
    folded = value.casefold()
    decomposed = unicodedata.normalize("NFKD", folded)
    base = "".join(c for c in decomposed if not unicodedata.combining(c))
    return base, folded, value.swapcase()


def german_collation(a: str, b: str) -> int:
    """The SQLite collation callback (-1, 0, 1)."""
    ka, kb = german_key(a), german_key(b)
    return (ka > kb) - (ka < kb)


def unicode_lower(value):
    return value.lower() if isinstance(value, str) else value


def unicode_upper(value):
    return value.upper() if isinstance(value, str) else value


def register_sqlite_functions(dbapi_connection) -> None:
    """Called for every new SQLite connection."""
    dbapi_connection.create_collation(SQLITE_COLLATION, german_collation)
    dbapi_connection.create_function("lower", 1, unicode_lower, deterministic=True)
    dbapi_connection.create_function("upper", 1, unicode_upper, deterministic=True)


class german_sort(ColumnElement):  # noqa: N801 - used like a SQL function
    """A column or expression, compared in German dictionary order on every supported database."""

    inherit_cache = True
    _traverse_internals = [("element", InternalTraversal.dp_clauseelement)]

    def __init__(self, element):

        self.element = coercions.expect(roles.ExpressionElementRole, element)
        self.type = self.element.type

    @property
    def _from_objects(self):
        return self.element._from_objects


@compiles(german_sort)
def _compile_default(element, compiler, **kw):
    return compiler.process(element.element, **kw)


@compiles(german_sort, "sqlite")
def _compile_sqlite(element, compiler, **kw):
    return f"{compiler.process(element.element, **kw)} COLLATE {SQLITE_COLLATION}"


@compiles(german_sort, "postgresql")
def _compile_postgresql(element, compiler, **kw):
    return f'{compiler.process(element.element, **kw)} COLLATE "{POSTGRES_COLLATION}"'
