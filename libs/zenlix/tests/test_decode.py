"""ZENLIX's encodings decoded: text and charsets, lists, roles, states, markers, dates."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from helpdesk_zenlix import decode


def test_utf8_bytes_are_text_whatever_the_table_declares() -> None:
    assert decode.text("Принтер".encode()) == "Принтер"


def _as_mysql_latin1(text: str) -> str:
    """What MySQL shows for UTF-8 bytes in a latin1 column (cp1252; its 5 holes map to U+0081...)."""
    return "".join(
        chr(b) if b in (0x81, 0x8D, 0x8F, 0x90, 0x9D) else bytes([b]).decode("cp1252") for b in text.encode()
    )


def test_double_encoded_text_is_repaired() -> None:
    mojibake = _as_mysql_latin1("Заявка №5 — готово").encode()
    assert decode.text(mojibake) == "Заявка №5 — готово"


def test_genuine_latin1_bytes_are_read_as_cp1252() -> None:
    assert decode.text("café".encode("cp1252")) == "café"


def test_plain_latin_text_with_accents_is_left_alone() -> None:
    assert decode.text("Ångström façade".encode()) == "Ångström façade"


def test_csv_ids_drop_zero_repeats_and_garbage() -> None:
    assert decode.id_list(b"3,1,,3,0,abc, 7 ") == ([3, 1, 7], ["abc"])
    assert decode.id_list("0") == ([], [])
    assert decode.id_list(None) == ([], [])


def test_priv_numbers_become_roles_and_clients_have_none() -> None:
    assert decode.role(2, False) == "department_head"
    assert decode.role(0, False) == "unit_head"
    assert decode.role(1, False) == "unit_member"
    assert decode.role(1, True) is None
    assert decode.role(7, False) is None


def test_only_eight_means_administrator() -> None:
    assert decode.is_admin(8)
    assert not decode.is_admin(1)
    assert not decode.is_admin(None)


def test_ticket_state_follows_zenlix_precedence() -> None:
    assert decode.ticket_state(status=1, arch=1, lock_by=5) == "archived"
    assert decode.ticket_state(status=1, arch=0, lock_by=5) == "done"
    assert decode.ticket_state(status=0, arch=0, lock_by=5) == "in_work"
    assert decode.ticket_state(status=0, arch=0, lock_by=0) == "new"


def test_comment_file_markers_are_taken_out_with_their_hashes() -> None:
    body, hashes = decode.comment_text("See the log<br>[file:abc,def]")
    assert body == "See the log"
    assert hashes == ("abc", "def")
    assert decode.comment_text("[file:xyz]") == ("", ("xyz",))


def test_html_body_becomes_text() -> None:
    assert decode.html_to_text("Line one<br>Line &laquo;two&raquo;<p>x</p>") == "Line one\nLine «two»x"


def test_zero_dates_are_none_and_local_times_become_utc() -> None:
    kyiv = ZoneInfo("Europe/Kyiv")
    assert decode.local_time("0000-00-00 00:00:00", kyiv) is None
    assert decode.local_time(None, kyiv) is None
    assert decode.local_time(datetime(2024, 7, 1, 12, 0), kyiv) == datetime(2024, 7, 1, 9, 0, tzinfo=UTC)


def test_md5_is_recognised_only_as_32_hex_digits() -> None:
    assert decode.md5_hash(b"81DC9BDB52D04DC20036DBD8313ED055") == "81dc9bdb52d04dc20036dbd8313ed055"
    assert decode.md5_hash("not-a-hash") is None
