"""The pure rules of mail intake: parsing, charsets, HTML, quotes, detection, references."""

from __future__ import annotations

import pytest

from helpdesk_mailin.domain import detection, references
from helpdesk_mailin.domain.mailbox import Account, MailboxSettings, SenderKind, identify
from helpdesk_mailin.domain.message import Mail, parse
from helpdesk_mailin.domain.quotes import cut_reply, reply_body
from helpdesk_mailin.domain.text import decode, html_to_markdown

from .conftest import sample


def test_cp1251_koi8r_and_quoted_printable_bodies_and_headers_are_read() -> None:
    cp = parse(sample("windows1251.eml"))
    assert cp.sender_name == "Иван Петров" and cp.subject == "Сломался монитор"
    assert cp.text == "Добрый день! Монитор в кабинете 12 не включается."
    koi = parse(sample("koi8r.eml"))
    assert koi.subject == "Заявка на пропуск" and koi.text.startswith("Прошу оформить пропуск")


def test_a_broken_charset_is_replaced_never_a_crash() -> None:
    mail = parse(sample("broken_charset.eml"))
    assert mail.text.startswith("Caf") and "bytes that fit no charset" in mail.text
    assert decode(b"\xff\xfe\x00abc", "utf-8").endswith("abc")
    assert parse(b"\x00\xff garbage without headers").sender == ""


def test_multipart_alternative_prefers_the_plain_part() -> None:
    mail = parse(sample("multipart_alternative.eml"))
    assert not mail.text_from_html and "“paper jam”" in mail.text


def test_html_only_mail_becomes_markdown_without_scripts_or_images() -> None:
    mail = parse(sample("html_only.eml"))
    assert mail.text_from_html
    assert "**VPN**" in mail.text and "- Windows 11" in mail.text
    assert "[инструкция](https://vpn.example/help)" in mail.text
    assert "alert" not in mail.text and "color:red" not in mail.text and "tracker" not in mail.text


def test_html_quote_containers_are_cut_from_html_only_replies() -> None:
    html = '<div>Yes</div><div class="gmail_quote">On Mon wrote:<blockquote>old</blockquote></div>'
    assert html_to_markdown(html) == "Yes"
    assert reply_body(Mail(text="Yes\n\nOn Mon wrote: old", text_from_html=True, html=html)) == "Yes"


def test_attachments_are_found_with_their_names() -> None:
    mail = parse(sample("attachment_too_large.eml"))
    assert [(a.filename, a.content_type) for a in mail.attachments] == [
        ("screen.png", "image/png"),
        ("huge-log.pdf", "application/pdf"),
    ]
    assert len(mail.attachments[1].data) > 3 * 1024 * 1024


@pytest.mark.parametrize(
    ("text", "own"),
    [
        ("Fine.\n\nOn Mon, 3 Jun 2024 at 10:00, Desk <d@x.example> wrote:\n> old", "Fine."),
        ("Fine.\n\nOn Mon, Jun 3, 2024 at 10:07 AM Helpdesk <helpdesk@desk.example>\nwrote:\n> old", "Fine."),
        ("Ок\n\n03.06.2024 10:05, Helpdesk пишет:\n> старое", "Ок"),
        ("Ок\n\nпн, 3 июн. 2024 г. в 10:00, Helpdesk <helpdesk@desk.example>:\n> старое", "Ок"),
        ("Ок\n\n-----Исходное сообщение-----\nОт: x", "Ок"),
        ("Fine\n\n________________________________\nFrom: Desk\nSent: Monday\nTo: me\nSubject: s", "Fine"),
        ("Fine\n\nFrom: Desk <d@x>\nSent: Monday\nTo: me\nSubject: s\n\nold", "Fine"),
        ("Fine\n\n-- \nAnna\nACME", "Fine"),
        ("Fine\n\nSent from my iPhone", "Fine"),
        ("Fine\n\n> quoted tail\n> more", "Fine"),
        ("> only a quote", "> only a quote"),
        ("Line one\nFrom: the start of my own sentence", "Line one\nFrom: the start of my own sentence"),
    ],
)
def test_a_reply_keeps_only_its_own_words(text: str, own: str) -> None:
    assert cut_reply(text) == own


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("auto_reply.eml", "automatic reply: Auto-Submitted auto-replied"),
        ("bounce_dsn.eml", "bounce: null or daemon sender"),
        ("mail_loop.eml", "mail loop: one of our own messages"),
    ],
)
def test_auto_replies_bounces_and_loops_are_recognised(name: str, reason: str) -> None:
    assert detection.drop_reason(parse(sample(name, ticket=5, user=1))) == reason


def test_other_automatic_markers_are_recognised_and_people_are_not() -> None:
    base = b"From: a@b.example\r\nMessage-ID: <1@b.example>\r\n"
    for header in (b"Precedence: bulk", b"X-Autoreply: yes", b"X-Auto-Response-Suppress: OOF"):
        assert detection.drop_reason(parse(base + header + b"\r\n\r\nx")) is not None
    dsn = (
        b"From: a@b.example\r\n"
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=x\r\n\r\n"
    )
    assert detection.drop_reason(parse(dsn)) == "bounce: delivery status notification"
    hops = b"".join(b"Received: from x\r\n" for _ in range(31))
    assert detection.drop_reason(parse(base + hops + b"\r\nx")) == "mail loop: 31 hops"
    assert detection.drop_reason(parse(base + b"Auto-Submitted: no\r\n\r\nHello")) is None
    assert detection.over_rate(30, 30) and not detection.over_rate(29, 30) and not detection.over_rate(99, 0)


def test_replies_name_their_ticket_by_our_message_ids_then_the_subject() -> None:
    gmail = parse(sample("gmail_reply.eml", ticket=42, user=7))
    assert references.ticket_ids(gmail) == [42]
    outlook = parse(sample("outlook_reply.eml", ticket=43, user=7))  # only In-Reply-To
    assert references.ticket_ids(outlook) == [43]
    assert references.ticket_ids(Mail(subject="Re: [#12] printer, see also #13")) == [12, 13]
    assert references.ticket_ids(Mail(subject="Invoice&#160;x", references=("<other@x.example>",))) == []


def test_senders_are_known_disabled_ambiguous_or_unknown() -> None:
    a, b = Account(1, True, True), Account(2, True, False)
    off = Account(3, False, True)
    assert identify([a]).kind is SenderKind.KNOWN and identify([a, off]).account == a
    assert identify([a, b]).kind is SenderKind.AMBIGUOUS
    assert identify([off]).kind is SenderKind.DISABLED
    assert identify([]).kind is SenderKind.UNKNOWN


def test_mailbox_settings_refuse_plain_text_unless_allowed_and_bad_values() -> None:
    good = MailboxSettings(name="Support", host="imap.example", port=993, login="s@x", unit_id=1)
    assert good.errors() == []
    plain = MailboxSettings(name="S", host="h", port=143, security="none", login="l", unit_id=1)
    assert [e.field for e in plain.errors()] == ["security"]
    allowed = MailboxSettings(
        name="S", host="h", port=143, security="none", allow_plain=True, login="l", unit_id=1
    )
    assert allowed.errors() == []
    bad = MailboxSettings(
        name="", host="a b", port=0, login="", unit_id=0, priority="urgent", unknown_senders="x"
    )
    assert {e.field for e in bad.errors()} >= {
        "name",
        "host",
        "port",
        "login",
        "unit_id",
        "priority",
        "unknown_senders",
    }
