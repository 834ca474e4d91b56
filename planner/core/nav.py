"""The main navigation, assembled from what each blueprint registers (so base.html never changes)."""

from dataclasses import dataclass

from flask import url_for

from planner.core.permissions import PUBLIC, Role, has_role


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object  # a lazy string
    roles: tuple[Role, ...] | str  # roles, or PUBLIC / "signed_in"
    order: int

    def visible_to(self, user) -> bool:
        if self.roles == PUBLIC:
            return True
        if not getattr(user, "is_authenticated", False):
            return False
        if self.roles == "signed_in":
            return True
        return has_role(user, *self.roles)

    @property
    def url(self) -> str:
        return url_for(self.endpoint)

    @property
    def section(self) -> str:
        return self.endpoint.split(".", 1)[0]


_items: dict[str, NavItem] = {}


def add_nav(endpoint: str, label, roles="signed_in", order: int = 100) -> None:
    _items[endpoint] = NavItem(endpoint, label, tuple(roles) if isinstance(roles, list | tuple) else roles, order)


def nav_for(user) -> list[NavItem]:
    return sorted((i for i in _items.values() if i.visible_to(user)), key=lambda i: i.order)
