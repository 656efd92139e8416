"""The LDAP / Active Directory server, through ldap3 (blocking, so run in threads).

Only TLS connections (LDAPS, or StartTLS on ldap://) are made: a user's
password crosses the wire for the bind and is never stored or kept.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

import ldap3  # type: ignore[import-untyped]
from ldap3.core.exceptions import LDAPException  # type: ignore[import-untyped]
from ldap3.utils.conv import escape_filter_chars  # type: ignore[import-untyped]

from helpdesk_identity.domain import LdapConfig, LdapEntry, clean_name


class LdapUnavailable(Exception):
    """The server could not be reached or refused the service account."""


def _server(cfg: LdapConfig) -> Any:
    tls = ldap3.Tls(
        validate=ssl.CERT_REQUIRED,
        version=ssl.PROTOCOL_TLS_CLIENT,
        ca_certs_data=cfg.ca_pem or None,
    )
    return ldap3.Server(cfg.url, use_ssl=cfg.url.startswith("ldaps://"), tls=tls, connect_timeout=5)


def _connect(cfg: LdapConfig, user: str, password: str) -> Any:
    """A bound connection, or None when the credentials are refused."""
    if not password:  # an empty password would be an anonymous bind that "succeeds"
        return None
    conn = ldap3.Connection(_server(cfg), user=user, password=password, receive_timeout=10)
    try:
        conn.open()
        if not cfg.url.startswith("ldaps://"):
            conn.start_tls()
        if not conn.bind():
            conn.unbind()
            return None
    except LDAPException as exc:
        raise LdapUnavailable(str(exc)) from exc
    return conn


def _service(cfg: LdapConfig) -> Any:
    conn = _connect(cfg, cfg.bind_dn, cfg.bind_password)
    if conn is None:
        raise LdapUnavailable("the bind account was refused")
    return conn


def _find_dn(cfg: LdapConfig, login: str) -> str | None:
    conn = _service(cfg)
    try:
        flt = f"(&{cfg.user_filter}({cfg.attr_login}={escape_filter_chars(login)}))"
        conn.search(cfg.base_dn, flt, attributes=[])
        return str(conn.entries[0].entry_dn) if len(conn.entries) == 1 else None
    finally:
        conn.unbind()


def _check_password(cfg: LdapConfig, login: str, dn: str | None, password: str) -> bool:
    who = cfg.bind_template.replace("{login}", login) if cfg.bind_template else dn or _find_dn(cfg, login)
    if not who:
        return False
    conn = _connect(cfg, who, password)
    if conn is None:
        return False
    conn.unbind()
    return True


async def check_password(cfg: LdapConfig, login: str, dn: str | None, password: str) -> bool:
    """Whether the directory accepts this password (a bind as the user)."""
    return await asyncio.to_thread(_check_password, cfg, login, dn, password)


def _group_members(conn: Any, cfg: LdapConfig) -> dict[str, set[str]]:
    """Lower-case member DN -> the lower-case mapped group DNs it belongs to."""
    members: dict[str, set[str]] = {}
    for mapping in cfg.groups:
        conn.search(mapping.group_dn, "(objectClass=*)", ldap3.BASE, attributes=["member", "uniqueMember"])
        for entry in conn.entries:
            for attr in ("member", "uniqueMember"):
                values = entry[attr].values if attr in entry.entry_attributes else []
                for dn in values:
                    members.setdefault(str(dn).lower(), set()).add(mapping.group_dn.lower())
    return members


def _first(attributes: dict[str, Any], name: str) -> str:
    value = attributes.get(name) if name else None
    if isinstance(value, list):
        value = value[0] if value else None
    return str(value) if value else ""


def _fetch(cfg: LdapConfig) -> list[LdapEntry]:
    conn = _service(cfg)
    try:
        members = _group_members(conn, cfg)
        attrs = [a for a in (cfg.attr_login, cfg.attr_full_name, cfg.attr_email, cfg.attr_phone) if a]
        results = conn.extend.standard.paged_search(
            cfg.base_dn, cfg.user_filter, attributes=attrs, paged_size=500, generator=False
        )
        found: list[LdapEntry] = []
        for raw in results:
            login = _first(raw.get("attributes", {}), cfg.attr_login)
            if raw.get("type") != "searchResEntry" or not login:
                continue
            a = raw["attributes"]
            found.append(
                LdapEntry(
                    dn=raw["dn"],
                    login=login,
                    # The directory may hold anything; a name must be fit for mail headers.
                    full_name=clean_name(_first(a, cfg.attr_full_name)) or login,
                    email=_first(a, cfg.attr_email),
                    phone=_first(a, cfg.attr_phone),
                    member_of=frozenset(members.get(raw["dn"].lower(), set())),
                )
            )
        return found
    except LDAPException as exc:
        raise LdapUnavailable(str(exc)) from exc
    finally:
        conn.unbind()


async def fetch_users(cfg: LdapConfig) -> list[LdapEntry]:
    """Every user entry under the base DN, with the mapped groups it belongs to."""
    return await asyncio.to_thread(_fetch, cfg)
