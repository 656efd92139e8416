"""Messages rendered in the recipient's language (English, Russian) with jinja2.

Ticket mail: subject ``Ticket #N — <event>``, plain text and HTML, a link to the
ticket, and thread headers (``Message-ID`` unique per mail and stable across
retries, ``In-Reply-To``/``References`` pointing at the ticket's thread root) so
that mail clients, and the mail-in service, thread replies back to the ticket.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jinja2 import DictLoader, Environment, select_autoescape

EVENT_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "ticket.created": "created",
        "ticket.forwarded": "forwarded",
        "ticket.taken": "taken in work",
        "ticket.released": "released",
        "ticket.completed": "completed",
        "ticket.reopened": "reopened",
        "ticket.commented": "new comment",
        "sla.warning": "SLA warning",
        "sla.breached": "SLA breached",
        "portal.posted": "new post",
        "portal.commented": "new comment",
        "portal.status_changed": "status changed",
        "portal.answered": "official answer",
    },
    "ru": {
        "ticket.created": "создана",
        "ticket.forwarded": "перенаправлена",
        "ticket.taken": "взята в работу",
        "ticket.released": "освобождена",
        "ticket.completed": "выполнена",
        "ticket.reopened": "открыта снова",
        "ticket.commented": "новый комментарий",
        "sla.warning": "предупреждение SLA",
        "sla.breached": "нарушение SLA",
        "portal.posted": "новая запись",
        "portal.commented": "новый комментарий",
        "portal.status_changed": "статус изменён",
        "portal.answered": "официальный ответ",
    },
}

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "ticket": "Ticket",
        "open": "Open the ticket",
        "account.registered": "Confirm your registration",
        "account.registered.body": "Follow this link to confirm your registration:",
        "account.password_reset": "Password recovery",
        "account.password_reset.body": "Follow this one-time link to choose a new password:",
        "footer": "This message was sent automatically by Helpdesk.",
        "portal": "Portal",
        "open_post": "Open the post",
        "status": "Status",
    },
    "ru": {
        "ticket": "Заявка",
        "open": "Открыть заявку",
        "account.registered": "Подтвердите регистрацию",
        "account.registered.body": "Перейдите по ссылке, чтобы подтвердить регистрацию:",
        "account.password_reset": "Восстановление пароля",
        "account.password_reset.body": "Перейдите по одноразовой ссылке, чтобы задать новый пароль:",
        "footer": "Это письмо отправлено Helpdesk автоматически.",
        "portal": "Портал",
        "open_post": "Открыть запись",
        "status": "Статус",
    },
}

# The statuses of portal posts (docs/product/portal.md § Kinds and statuses).
STATUS_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "new": "New",
        "under_review": "Under review",
        "planned": "Planned",
        "in_progress": "In progress",
        "done": "Done",
        "declined": "Declined",
        "solved": "Solved",
        "not_a_problem": "Not a problem",
        "answered": "Answered",
        "closed": "Closed",
        "acknowledged": "Acknowledged",
    },
    "ru": {
        "new": "Новая",
        "under_review": "На рассмотрении",
        "planned": "Запланировано",
        "in_progress": "В работе",
        "done": "Сделано",
        "declined": "Отклонено",
        "solved": "Решено",
        "not_a_problem": "Не проблема",
        "answered": "Есть ответ",
        "closed": "Закрыто",
        "acknowledged": "Принято",
    },
}

_TEXT = """{{ heading }}
{% if lines %}
{% for line in lines %}{{ line }}
{% endfor %}{% endif %}
{% if link %}{{ link_label }}: {{ link }}
{% endif %}
--
{{ footer }}
"""

_HTML = """<!doctype html>
<html lang="{{ lang }}"><body>
<h2>{{ heading }}</h2>
{% for line in lines %}<p>{{ line }}</p>
{% endfor %}{% if link %}<p><a href="{{ link }}">{{ link_label }}</a></p>
{% endif %}<hr><p style="color:#777">{{ footer }}</p>
</body></html>
"""

_env = Environment(
    loader=DictLoader({"mail.txt": _TEXT, "mail.html": _HTML}),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    keep_trailing_newline=True,
)


@dataclass(frozen=True)
class Notice:
    """What happened, independent of who is told and in which language."""

    event: str
    ticket_id: int = 0
    number: int = 0
    ticket_subject: str = ""
    detail: str = ""
    link: str = ""  # a one-time link (registration, password reset); tickets link to themselves
    subject: str = ""  # a mailing's own subject
    body: str = ""  # a mailing's own body
    post_id: int = 0  # a portal post
    post_title: str = ""
    post_status: str = ""  # shown when the status is the news


@dataclass(frozen=True)
class Rendered:
    title: str
    text: str
    html: str
    link: str
    headers: dict[str, str] = field(default_factory=dict)


def ticket_thread_id(ticket_id: int) -> str:
    """The thread root every mail about a ticket refers to."""
    return f"<ticket-{ticket_id}@helpdesk>"


def message_id(source_event_id: str, user_id: int, ticket_id: int = 0) -> str:
    """Unique per (fact, recipient) and the same on every retry: receivers can drop a duplicate.
    A ticket's mail names the ticket first (``<ticket-<id>.…@helpdesk>``), so a reply whose
    client keeps only In-Reply-To still leads mail intake back to the ticket."""
    safe = "".join(ch if ch.isalnum() or ch in ".-_" else "-" for ch in source_event_id)
    prefix = f"ticket-{ticket_id}." if ticket_id else ""
    return f"<{prefix}{safe}.{user_id}@helpdesk>"


def post_thread_id(post_id: int) -> str:
    """The thread root of the mails about one portal post (never a ticket's)."""
    return f"<portal-post-{post_id}@helpdesk>"


def post_title(notice: Notice, lang: str) -> str:
    label = EVENT_LABELS[lang].get(notice.event, notice.event)
    return f"{WORDS[lang]['portal']}: {notice.post_title} — {label}"


def ticket_title(notice: Notice, lang: str) -> str:
    label = EVENT_LABELS[lang].get(notice.event, notice.event)
    return f"{WORDS[lang]['ticket']} #{notice.number or notice.ticket_id} — {label}"


def render(notice: Notice, *, lang: str, public_url: str) -> Rendered:
    words = WORDS[lang]
    headers = {"Auto-Submitted": "auto-generated"}
    if notice.event == "mailing":
        title, lines, link, link_label = notice.subject, notice.body.splitlines(), "", ""
    elif notice.event.startswith("account."):
        title = words[notice.event]
        lines, link, link_label = [words[f"{notice.event}.body"]], notice.link, notice.link
    elif notice.event.startswith("portal."):
        title = post_title(notice, lang)
        lines = [notice.post_title]
        if notice.post_status:
            status = STATUS_LABELS[lang].get(notice.post_status, notice.post_status)
            lines.append(f"{words['status']}: {status}")
        lines += notice.detail.splitlines()
        link = f"{public_url.rstrip('/')}/portal/posts/{notice.post_id}"
        link_label = words["open_post"]
        root = post_thread_id(notice.post_id)
        headers |= {"In-Reply-To": root, "References": root}
    else:
        title = ticket_title(notice, lang)
        lines = [notice.ticket_subject] if notice.ticket_subject else []
        if notice.detail:
            lines += notice.detail.splitlines()
        link = f"{public_url.rstrip('/')}/tickets/{notice.ticket_id}"
        link_label = words["open"]
        root = ticket_thread_id(notice.ticket_id)
        headers |= {"In-Reply-To": root, "References": root}
    context = {
        "lang": lang,
        "heading": title,
        "lines": lines,
        "link": link,
        "link_label": link_label,
        "footer": words["footer"],
    }
    return Rendered(
        title=title,
        text=_env.get_template("mail.txt").render(context),
        html=_env.get_template("mail.html").render(context),
        link=link,
        headers=headers,
    )


# Mail intake's polite refusal: we do not know the sender's language, so it says it in both.
_REFUSALS = {
    "unknown_sender": (
        "We could not accept your message: this address takes mail only from people registered"
        " with our helpdesk. Please sign in to the helpdesk, or ask us to register you.",
        "Мы не смогли принять ваше письмо: этот адрес принимает почту только от"
        " зарегистрированных пользователей службы поддержки. Войдите в систему или попросите"
        " нас зарегистрировать вас.",
    ),
    "disabled_sender": (
        "We could not accept your message: your helpdesk account is disabled.",
        "Мы не смогли принять ваше письмо: ваша учётная запись в службе поддержки отключена.",
    ),
}


def refusal(*, reason: str, subject: str, in_reply_to: str, key: str, public_url: str) -> Rendered:
    """The answer to a mail that mail intake refused, in English and Russian, marked as an
    automatic reply so that no well-behaved responder answers it back (RFC 3834)."""
    en, ru = _REFUSALS.get(reason, _REFUSALS["unknown_sender"])
    title = f"Re: {' '.join(subject.split())[:200]}" if subject.strip() else "Your message / Ваше письмо"
    lines = [en, "", ru]
    context = {
        "lang": "en",
        "heading": "Your message was not accepted / Ваше письмо не принято",
        "lines": lines,
        "link": public_url,
        "link_label": public_url,
        "footer": f"{WORDS['en']['footer']} / {WORDS['ru']['footer']}",
    }
    headers = {
        "Auto-Submitted": "auto-replied",
        "X-Auto-Response-Suppress": "All",
        "Message-ID": message_id(f"mailin-refusal-{key}", 0),
    }
    if in_reply_to:
        headers |= {"In-Reply-To": in_reply_to, "References": in_reply_to}
    return Rendered(
        title=title,
        text=_env.get_template("mail.txt").render(context),
        html=_env.get_template("mail.html").render(context),
        link=public_url,
        headers=headers,
    )
