"""Pages of a list computed in Python (e.g. scored pairs), shaped like Flask-SQLAlchemy's pagination so the
``pagination`` macro in templates/_macros/ui.html renders both."""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil


@dataclass(frozen=True)
class ListPage:
    items: list
    page: int
    per_page: int
    total: int

    @classmethod
    def of(cls, items: list, page: int | None, per_page: int = 50) -> ListPage:
        """The requested page of ``items``; a page out of range gives the nearest page that exists."""
        pages = max(1, ceil(len(items) / per_page))
        page = min(max(1, page or 1), pages)
        start = (page - 1) * per_page
        return cls(items[start:start + per_page], page, per_page, len(items))

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None
