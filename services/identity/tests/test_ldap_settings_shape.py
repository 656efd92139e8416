"""LDAP settings as an admin sends them: unknown keys and wrong types are a 422 naming
each field, never a server error quoting Python."""

from __future__ import annotations

import pytest

from helpdesk_identity.usecases.ldap_directory import ldap_config_from
from helpdesk_kit.errors import InvalidInput


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"": {}}, ""),
        ({"enabled": "yes"}, "enabled"),
        ({"url": 7}, "url"),
        ({"default_role": "emperor"}, "default_role"),
        ({"groups": "cn=x"}, "groups"),
        ({"groups": [{"group_dn": "cn=x", "unit_id": 2**64}]}, "groups.0.unit_id"),
        ({"groups": [{"dn": "cn=x"}]}, "groups.0"),
    ],
)
def test_a_malformed_setting_is_invalid_input_naming_the_field(data: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        ldap_config_from(data)
    assert field in [e.field for e in err.value.errors]
    assert "TypeError" not in str(err.value) and "unexpected keyword" not in str(err.value)


def test_well_formed_settings_are_read() -> None:
    cfg = ldap_config_from(
        {"enabled": False, "url": "ldaps://dir:636", "groups": [{"group_dn": "cn=a", "unit_id": 3}]}
    )
    assert cfg.url == "ldaps://dir:636" and cfg.groups[0].unit_id == 3
