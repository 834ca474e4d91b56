"""Sign-in against LDAP / Active Directory (ldap3).

A provider of type ``"ldap"`` in SSO_PROVIDERS has:

- ``url``: ``ldaps://dc1.stadt.local`` (or ``ldap://…`` with ``start_tls: True``); ``timeout`` in seconds (5);
- either ``bind_dn`` + ``bind_password`` (a service account that searches the user, then the user's own bind checks
  the password), or ``user_dn_template`` (bind directly as the user: ``"uid={username},ou=people,dc=…"`` or, for
  Active Directory, ``"{username}@stadt.local"``);
- ``user_base`` and ``user_filter`` (``{username}`` is escaped): e.g. for Active Directory
  ``(&(objectClass=user)(sAMAccountName={username})(!(userAccountControl:1.2.840.113556.1.4.803:=2)))`` so that a
  disabled account is not found and cannot sign in;
- ``email_attribute`` (``mail``), ``name_attribute`` (``displayName``), groups from ``memberOf`` or, with
  ``group_base`` (+ ``group_filter``, default ``(member={dn})``), by a search; ``role_map`` keys may be a group's
  CN or its full DN.
"""

from __future__ import annotations

import contextlib
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l

from planner.core.errors import DomainError

if TYPE_CHECKING:
    from ldap3 import Connection, Server


def _ldap3():
    """ldap3, imported at the first directory sign-in instead of at every start of the app (a tenth of a second
    of each CLI command and worker, for a feature most cities do not configure)."""
    # ldap3 2.9 uses names newer pyasn1 releases mark as deprecated (a warning at import, nothing else).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import ldap3
        import ldap3.core.exceptions
        import ldap3.utils.conv
        import ldap3.utils.dn
    return ldap3


class DirectoryUnavailable(DomainError):
    """The directory cannot be reached (down, network, TLS): nobody can sign in through it for now."""


@dataclass(frozen=True)
class DirectoryEntry:
    dn: str
    email: str | None
    name: str
    groups: list[str] = field(default_factory=list)


def _server(config: dict) -> Server:
    ldap3 = _ldap3()
    tls = ldap3.Tls() if config.get("url", "").startswith("ldaps://") or config.get("start_tls") else None
    return ldap3.Server(config["url"], connect_timeout=float(config.get("timeout", 5)), get_info=ldap3.NONE, tls=tls)


def _connection(server: Server, config: dict, user: str | None, password: str | None,
                opened: list) -> Connection:
    conn = _ldap3().Connection(server, user=user, password=password,
                               receive_timeout=max(1, int(config.get("timeout", 5))), raise_exceptions=False,
                               read_only=True)
    opened.append(conn)
    conn.open()
    if config.get("start_tls"):
        conn.start_tls()
    return conn


def _close_all(opened: list) -> None:
    exceptions = _ldap3().core.exceptions
    while opened:
        conn = opened.pop()
        with contextlib.suppress(exceptions.LDAPException, OSError):
            conn.unbind()
        # ldap3 leaves the socket of a failed connect open.
        if getattr(conn, "socket", None) is not None:
            with contextlib.suppress(OSError):
                conn.socket.close()


def _first(entry_attributes: dict, name: str):
    value = entry_attributes.get(name)
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _cn(dn: str) -> str | None:
    ldap3 = _ldap3()
    try:
        parts = ldap3.utils.dn.parse_dn(dn)
    except ldap3.core.exceptions.LDAPException:
        return None
    return parts[0][1] if parts and parts[0][0].lower() == "cn" else None


def authenticate(config: dict, username: str, password: str) -> tuple[DirectoryEntry | None, bool]:
    """(the user's directory entry or None, whether the password is right).

    Raises DirectoryUnavailable when the directory cannot be reached. An empty password is never sent: an LDAP
    bind with an empty password is an anonymous bind that "succeeds"."""
    username = (username or "").strip()
    if not username or not password or len(username) > 200:
        return None, False
    ldap3 = _ldap3()
    errors = ldap3.core.exceptions
    server = _server(config)
    user_filter = config.get("user_filter", "(uid={username})").replace("{username}",
                                                                       ldap3.utils.conv.escape_filter_chars(username))
    opened: list = []  # every connection of this sign-in, closed at its end whatever happens
    try:
        if config.get("bind_dn"):
            service = _connection(server, config, config["bind_dn"], config.get("bind_password", ""), opened)
            if not service.bind():
                raise DirectoryUnavailable(_l("The directory refused the planner's service account. Please tell "
                                              "your IT department."))
            entry = _search_user(service, config, user_filter)
            groups = _groups(service, config, entry) if entry else []
            service.unbind()
            if entry is None:
                return None, False
            own = _connection(server, config, entry.dn, password, opened)
            ok = own.bind()
            own.unbind()
            return (DirectoryEntry(entry.dn, entry.email, entry.name, groups), ok)
        bind_name = config["user_dn_template"].replace("{username}", username)
        own = _connection(server, config, bind_name, password, opened)
        if not own.bind():
            own.unbind()
            return None, False
        entry = _search_user(own, config, user_filter)
        groups = _groups(own, config, entry) if entry else []
        own.unbind()
        if entry is None:  # the password was right, but the filter excludes the account (disabled)
            return None, False
        return DirectoryEntry(entry.dn, entry.email, entry.name, groups), True
    except (errors.LDAPSocketOpenError, errors.LDAPSocketReceiveError, errors.LDAPStartTLSError, OSError) as error:
        raise DirectoryUnavailable(_l("The city's directory cannot be reached at the moment. Please try again "
                                      "later.")) from error
    finally:
        _close_all(opened)


def _search_user(conn: Connection, config: dict, user_filter: str) -> DirectoryEntry | None:
    email_attribute = config.get("email_attribute", "mail")
    name_attribute = config.get("name_attribute", "displayName")
    attributes = [email_attribute, name_attribute, "cn", "memberOf"]
    if not conn.search(config["user_base"], user_filter, search_scope=_ldap3().SUBTREE, attributes=attributes,
                       size_limit=2):
        if conn.result.get("result") not in (0, 32):  # 32: no such object
            raise DirectoryUnavailable(_l("The city's directory cannot be reached at the moment. Please try "
                                          "again later."))
        return None
    if len(conn.response) != 1 or conn.response[0].get("type") != "searchResEntry":
        entries = [e for e in conn.response if e.get("type") == "searchResEntry"]
        if len(entries) != 1:
            return None
        found = entries[0]
    else:
        found = conn.response[0]
    attrs = found.get("attributes", {})
    member_of = attrs.get("memberOf") or []
    return DirectoryEntry(
        dn=found["dn"], email=_first(attrs, email_attribute),
        name=_first(attrs, name_attribute) or _first(attrs, "cn") or "",
        groups=list(member_of) if isinstance(member_of, list) else [member_of],
    )


def _groups(conn: Connection, config: dict, entry: DirectoryEntry) -> list[str]:
    """Group CNs and DNs (both may be keys of the role map)."""
    dns = list(entry.groups)
    if config.get("group_base"):
        ldap3 = _ldap3()
        group_filter = config.get("group_filter", "(member={dn})").replace(
            "{dn}", ldap3.utils.conv.escape_filter_chars(entry.dn))
        if conn.search(config["group_base"], group_filter, search_scope=ldap3.SUBTREE, attributes=["cn"]):
            dns += [e["dn"] for e in conn.response if e.get("type") == "searchResEntry"]
    names = []
    for dn in dns:
        names.append(dn)
        cn = _cn(dn)
        if cn:
            names.append(cn)
    return names
