"""How ZENLIX wrote names, cut texts and action lists (``api/zenlix/present.py``)."""

from __future__ import annotations

from helpdesk.tickets.v1 import tickets_pb2 as t_pb

from helpdesk_gateway.api.zenlix import present


def test_a_three_word_name_becomes_surname_and_initials_like_zenlixs_nameshort() -> None:
    assert present.short_name("Шевченко Тарас Григорович") == "Шевченко Т.Г."
    assert present.short_name("Ivanov Ivan Ivanovich, Petrov Petr Petrovich") == "Ivanov I.I., Petrov P.P."
    assert present.short_name("Anna Smith") == "Anna Smith"  # other shapes stay whole
    assert present.given_name("Ivanov Ivan Ivanovich") == "Ivan"
    assert present.given_name("Cher") is None


def test_a_long_text_is_cut_after_its_last_whole_word_within_the_width() -> None:
    text = "alpha beta gamma delta"
    assert present.cut(text, 12) == "alpha beta"
    assert present.cut(text, 100) == text
    assert present.cut("x" * 20, 8) == "x" * 8  # a word longer than the width is cut
    assert present.cut("first line\r\nsecond line", 100) == "first line"
    assert len(present.cut("слово " * 100)) <= 150  # characters, not bytes


def test_access_priv_lists_zenlixs_words_for_our_actions_or_no_priv() -> None:
    t = t_pb.Ticket(allowed_actions=["unlock", "complete", "forward", "comment"])
    assert present.access_priv(t, is_client=False) == "unlock,ok"
    assert present.access_priv(t_pb.Ticket(allowed_actions=["reopen"]), is_client=False) == "un_ok"
    assert present.access_priv(t_pb.Ticket(allowed_actions=["comment"]), is_client=False) == "no_priv"
    assert present.access_priv(t_pb.Ticket(allowed_actions=["comment"]), is_client=True) == ""


def test_the_state_string_is_relative_to_the_caller() -> None:
    assert present.state(t_pb.Ticket(state=t_pb.STATE_NEW), 1) == "free"
    assert present.state(t_pb.Ticket(state=t_pb.STATE_IN_WORK, locked_by=1), 1) == "lock_by_me"
    assert present.state(t_pb.Ticket(state=t_pb.STATE_IN_WORK, locked_by=2), 1) == "lock_by_other"
    assert present.state(t_pb.Ticket(state=t_pb.STATE_DONE, done_by=1), 1) == "ok_by_me"
    assert present.state(t_pb.Ticket(state=t_pb.STATE_DONE, done_by=2), 1) == "ok_by_other"
    assert present.state(t_pb.Ticket(state=t_pb.STATE_ARCHIVED, done_by=1), 1) == "arch"
