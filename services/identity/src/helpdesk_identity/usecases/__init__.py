"""Identity's use cases: one function each, one transaction each.

One module per concern: ``sessions`` (sign-in, refresh, sign-out), ``api_tokens``,
``totp``, ``keys`` (token signing keys), ``users``, ``organisation`` (units, client
groups, positions), ``lookups`` (what other services ask), ``mail_senders`` (what mail
intake asks), ``self_service`` (registration, password recovery), ``ldap_directory``
(LDAP settings and sync);
``checks`` holds what several share. Callers use this package's names
(``usecases.login(...)``).
"""

from __future__ import annotations

from helpdesk_identity.usecases.api_tokens import (
    API_TOKEN_PREFIX,
    authenticate_api_token,
    create_api_token,
    list_api_tokens,
    revoke_api_token,
)
from helpdesk_identity.usecases.keys import ensure_signing_key, rotate_signing_key, verification_keys
from helpdesk_identity.usecases.ldap_directory import (
    LDAP_KEY,
    SECRET_MASK,
    SyncResult,
    get_ldap_settings,
    ldap_config_from,
    ldap_config_out,
    put_ldap_settings,
    stored_ldap_config,
    sync_ldap,
    test_ldap,
)
from helpdesk_identity.usecases.lookups import (
    actor_by_id,
    client_group_members,
    get_users,
    heads_of_user,
    list_client_groups,
    list_positions,
    list_units,
    unit_heads,
    unit_members,
)
from helpdesk_identity.usecases.mail_senders import create_mail_client, find_users_by_email, issue_passport
from helpdesk_identity.usecases.organisation import (
    create_client_group,
    create_position,
    create_unit,
    delete_client_group,
    delete_position,
    delete_unit,
    update_client_group,
    update_position,
    update_unit,
)
from helpdesk_identity.usecases.self_service import (
    CONFIRM,
    RESET,
    SelfService,
    confirm_password_reset,
    confirm_registration,
    issue_link,
    register,
    request_password_reset,
)
from helpdesk_identity.usecases.sessions import (
    MAX_SESSIONS_PER_CHECK,
    Tokens,
    active_sessions,
    login,
    logout,
    refresh,
    session_active,
)
from helpdesk_identity.usecases.totp import confirm_totp, disable_totp, setup_totp
from helpdesk_identity.usecases.users import (
    ADMIN_LOGIN,
    DIRECTORY_FIELDS,
    MAX_PAGE,
    PROFILE_FIELDS,
    bootstrap_admin,
    change_password,
    create_user,
    disable_user,
    get_user,
    list_users,
    update_profile,
    update_user,
)

__all__ = [
    "ADMIN_LOGIN",
    "API_TOKEN_PREFIX",
    "CONFIRM",
    "DIRECTORY_FIELDS",
    "LDAP_KEY",
    "MAX_PAGE",
    "MAX_SESSIONS_PER_CHECK",
    "PROFILE_FIELDS",
    "RESET",
    "SECRET_MASK",
    "SelfService",
    "SyncResult",
    "Tokens",
    "active_sessions",
    "actor_by_id",
    "authenticate_api_token",
    "bootstrap_admin",
    "change_password",
    "client_group_members",
    "confirm_password_reset",
    "confirm_registration",
    "confirm_totp",
    "create_api_token",
    "create_client_group",
    "create_mail_client",
    "create_position",
    "create_unit",
    "create_user",
    "delete_client_group",
    "delete_position",
    "delete_unit",
    "disable_totp",
    "disable_user",
    "ensure_signing_key",
    "find_users_by_email",
    "get_ldap_settings",
    "get_user",
    "get_users",
    "heads_of_user",
    "issue_link",
    "issue_passport",
    "ldap_config_from",
    "ldap_config_out",
    "list_api_tokens",
    "list_client_groups",
    "list_positions",
    "list_units",
    "list_users",
    "login",
    "logout",
    "put_ldap_settings",
    "refresh",
    "register",
    "request_password_reset",
    "revoke_api_token",
    "rotate_signing_key",
    "session_active",
    "setup_totp",
    "stored_ldap_config",
    "sync_ldap",
    "test_ldap",
    "unit_heads",
    "unit_members",
    "update_client_group",
    "update_position",
    "update_profile",
    "update_unit",
    "update_user",
    "verification_keys",
]
