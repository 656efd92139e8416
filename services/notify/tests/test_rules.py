"""The recipient table (docs/product/notifications.md § Who is told), one test per row,
against an in-memory directory."""

from __future__ import annotations

from helpdesk_notify import rules

from .conftest import PEOPLE, UNIT_A, UNIT_B
from .fakes import Directory

DIRECTORY = Directory(PEOPLE)
AUTHOR = 40


async def test_created_for_a_whole_unit_goes_to_every_member_but_the_actor() -> None:
    got = await rules.ticket_created(DIRECTORY, actor_id=12, unit_id=UNIT_A, assignee_ids=[])
    assert got == {10, 11, 13}


async def test_created_for_people_goes_to_them_and_the_heads_of_each_of_their_units() -> None:
    assert await rules.ticket_created(DIRECTORY, actor_id=99, unit_id=UNIT_A, assignee_ids=[21]) == {21, 20}
    got = await rules.ticket_created(DIRECTORY, actor_id=99, unit_id=UNIT_A, assignee_ids=[13])
    assert got == {13, 10, 11, 20}


async def test_the_actor_is_not_told_of_his_own_ticket_even_as_a_head() -> None:
    assert await rules.ticket_created(DIRECTORY, actor_id=20, unit_id=UNIT_B, assignee_ids=[21]) == {21}


async def test_forwarded_goes_to_the_new_assignees_by_the_created_rule() -> None:
    assert await rules.ticket_forwarded(DIRECTORY, actor_id=12, unit_id=UNIT_B, assignee_ids=[]) == {
        13,
        20,
        21,
    }
    assert await rules.ticket_forwarded(DIRECTORY, actor_id=12, unit_id=UNIT_B, assignee_ids=[21]) == {21, 20}


async def test_taken_released_completed_reopened_go_to_the_heads_of_the_actors_units_and_the_author() -> None:
    got = await rules.ticket_handled(
        DIRECTORY, actor_id=13, actor_unit_ids=[UNIT_A, UNIT_B], author_id=AUTHOR
    )
    assert got == {10, 11, 20, AUTHOR}
    # a head acting is not told; his own units' other heads are
    got = await rules.ticket_handled(DIRECTORY, actor_id=11, actor_unit_ids=[UNIT_A], author_id=AUTHOR)
    assert got == {10, AUTHOR}


async def test_reopened_also_goes_to_the_member_it_goes_back_to() -> None:
    # member 12 took and completed it; head 11 reopens it: it is back in work by 12
    got = await rules.ticket_reopened(
        DIRECTORY, actor_id=11, actor_unit_ids=[UNIT_A], author_id=AUTHOR, locked_by=12
    )
    assert got == {10, AUTHOR, 12}
    # whoever reopens his own work is still not told of it
    got = await rules.ticket_reopened(
        DIRECTORY, actor_id=12, actor_unit_ids=[UNIT_A], author_id=AUTHOR, locked_by=12
    )
    assert 12 not in got


async def test_an_internal_note_is_told_to_the_staff_among_the_recipients_only() -> None:
    assert await rules.staff_only(DIRECTORY, {AUTHOR, 41, 12, 21}) == {12, 21}


async def test_a_department_head_of_no_unit_is_nobodys_head() -> None:
    got = await rules.ticket_handled(DIRECTORY, actor_id=21, actor_unit_ids=[UNIT_B], author_id=AUTHOR)
    assert 30 not in got
    assert got == {20, AUTHOR}


async def test_comment_goes_to_heads_author_earlier_commenters_and_whoever_has_it_in_work() -> None:
    got = await rules.ticket_commented(
        DIRECTORY,
        actor_id=21,
        actor_unit_ids=[UNIT_B],
        author_id=AUTHOR,
        previous_commenter_ids=[41, 21],
        locked_by=12,
        unit_id=UNIT_A,
        assignee_ids=[13],
    )
    assert got == {20, AUTHOR, 41, 12}


async def test_comment_on_a_ticket_nobody_has_taken_goes_to_its_assignees_else_its_unit() -> None:
    with_assignees = await rules.ticket_commented(
        DIRECTORY,
        actor_id=AUTHOR,
        actor_unit_ids=[],
        author_id=AUTHOR,
        previous_commenter_ids=[],
        locked_by=0,
        unit_id=UNIT_A,
        assignee_ids=[13],
    )
    assert with_assignees == {13}
    to_unit = await rules.ticket_commented(
        DIRECTORY,
        actor_id=AUTHOR,
        actor_unit_ids=[],
        author_id=AUTHOR,
        previous_commenter_ids=[],
        locked_by=0,
        unit_id=UNIT_B,
        assignee_ids=[],
    )
    assert to_unit == {13, 20, 21}


async def test_sla_alerts_go_to_the_heads_of_the_tickets_unit_and_its_assignees() -> None:
    assert await rules.sla_alert(DIRECTORY, unit_id=UNIT_A, assignee_ids=[21]) == {10, 11, 21}
    assert await rules.sla_alert(DIRECTORY, unit_id=UNIT_B, assignee_ids=[]) == {20}


def test_portal_comment_goes_to_earlier_commenters_and_the_post_author_but_not_the_commenter() -> None:
    got = rules.portal_comment(actor_id=41, post_author_id=12, previous_commenter_ids=[40, 41, 21])
    assert got == {12, 40, 21}


def test_a_new_portal_post_goes_to_the_chosen_staff_but_not_to_its_author() -> None:
    assert rules.portal_posted(actor_id=12, chosen_ids=[10, 12, 20]) == {10, 20}


def test_a_portal_status_change_or_answer_goes_to_the_posts_author_unless_he_made_it() -> None:
    assert rules.portal_post_changed(actor_id=10, post_author_id=40) == {40}
    assert rules.portal_post_changed(actor_id=40, post_author_id=40) == set()


async def test_mass_mailing_goes_to_the_picked_users_and_units_narrowed_by_role() -> None:
    got = await rules.mass_mailing(DIRECTORY, actor_id=99, user_ids=[40], unit_ids=[UNIT_A], roles=[])
    assert got == {40, 10, 11, 12, 13}
    heads = await rules.mass_mailing(
        DIRECTORY, actor_id=99, user_ids=[], unit_ids=[UNIT_A, UNIT_B], roles=["unit_head"]
    )
    assert heads == {11, 20}


async def test_mass_mailing_by_role_alone_picks_all_staff_with_it_and_by_client_group_its_clients() -> None:
    got = await rules.mass_mailing(
        DIRECTORY, actor_id=99, user_ids=[], unit_ids=[], roles=["department_head"]
    )
    assert got == {10, 30}
    got = await rules.mass_mailing(
        DIRECTORY, actor_id=99, user_ids=[], unit_ids=[], roles=[], client_group_ids=[7]
    )
    assert got == {40}
    # The admin sending it is the actor: not mailed even if his role is picked.
    got = await rules.mass_mailing(
        DIRECTORY, actor_id=10, user_ids=[], unit_ids=[], roles=["department_head"]
    )
    assert got == {30}


def test_registration_and_password_recovery_go_to_the_user_himself() -> None:
    assert rules.registration(user_id=41) == {41}
    assert rules.password_recovery(user_id=41) == {41}
