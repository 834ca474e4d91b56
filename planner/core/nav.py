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


# --- actions on an object, registered by the packages that provide them -------------------------------------
# e.g. the findings package adds "Capture findings" to every workshop page without touching its template.


@dataclass(frozen=True)
class ObjectAction:
    endpoint: str
    label: object
    roles: tuple[Role, ...] | str
    order: int
    param: str  # the URL parameter that receives the object's id
    when: object = None  # optional callable (obj_id, user) -> bool for object-level rules

    def visible_to(self, user, obj_id: int) -> bool:
        if not NavItem(self.endpoint, self.label, self.roles, self.order).visible_to(user):
            return False
        return self.when is None or self.when(obj_id, user)


_actions: dict[str, dict[str, ObjectAction]] = {}


def add_object_action(
    kind: str, endpoint: str, label, param: str, roles="signed_in", order: int = 100, when=None
) -> None:
    """Offer a link on every page of an object kind ("workshop", "measure", "person", "field", ...).

    ``when(obj_id, user)`` narrows it to the objects the user may act on (e.g. their own workshops).
    """
    roles = tuple(roles) if isinstance(roles, list | tuple) else roles
    _actions.setdefault(kind, {})[endpoint] = ObjectAction(endpoint, label, roles, order, param, when)


def object_actions(kind: str, obj_id: int, user) -> list[tuple[str, object]]:
    """(url, label) of the actions on this object the user may use, in order."""
    actions = sorted(
        (a for a in _actions.get(kind, {}).values() if a.visible_to(user, obj_id)), key=lambda a: a.order
    )
    return [(url_for(a.endpoint, **{a.param: obj_id}), a.label) for a in actions]


# --- panels on an object's page, registered by the packages that know more about it -------------------------
# e.g. the wall adds the dot votes a finding took part in to the finding's page (findings cannot import the wall).

_panels: dict[str, list[tuple[int, object]]] = {}


def add_object_panel(kind: str, render, order: int = 100) -> None:
    """``render(obj_id, user)`` returns the panel's HTML (Markup) or None when it has nothing to show."""
    _panels.setdefault(kind, []).append((order, render))
    _panels[kind].sort(key=lambda entry: entry[0])


def object_panels(kind: str, obj_id: int, user) -> list:
    """The panels other packages add to this object's page, in order (those with something to show)."""
    return [html for _order, render in _panels.get(kind, []) if (html := render(obj_id, user))]
