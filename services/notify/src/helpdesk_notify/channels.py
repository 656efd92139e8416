"""The channels' senders: SMTP (aiosmtplib) and Pushbullet's HTTP API (httpx).

A sender opens a session (one SMTP connection, one HTTP client) for a batch and
sends one delivery at a time. Each delivery is first built on its own — a message
that cannot be built fails alone, before anything goes out — then sent. Failures
are sorted for the worker:

- ``Permanent``: this delivery will never go (it cannot be built, the address is
  refused, the provider answers 4xx): a dead letter at once;
- ``Transient``: this delivery may go later (an SMTP 4xx for this recipient): it
  backs off, the others go on;
- ``ChannelDown``: the server cannot be reached or refuses to work at all
  (connection refused, timeout, TLS, authentication, HTTP 5xx): this delivery
  backs off and the worker pauses the whole channel before touching the next;
- ``Throttled``: the provider asked to wait (HTTP 429): not the delivery's fault.
"""

from __future__ import annotations

import datetime as dt
import email.errors
import email.policy
import email.utils
import unicodedata
from dataclasses import dataclass
from email.message import EmailMessage
from types import TracebackType
from typing import Any, Protocol

import aiosmtplib
import httpx

from helpdesk_notify import domain
from helpdesk_notify.store import Delivery
from helpdesk_notify.usecases import MailSettings, PushbulletSettings


class DeliveryError(Exception):
    pass


class Transient(DeliveryError):
    """This delivery: try again later (a temporary refusal of this recipient)."""


class ChannelDown(Transient):
    """The channel as a whole cannot work now: wait before touching the next delivery."""


class Permanent(DeliveryError):
    """Will never work (cannot be built, address refused, bad request)."""


class Throttled(ChannelDown):
    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited; retry after {retry_after:g}s")
        self.retry_after = retry_after


class Session(Protocol):
    async def send(self, delivery: Delivery) -> None: ...

    async def close(self) -> None: ...


# What building a message may raise when a value cannot go into it (a line break in
# a header, a missing or odd payload field, a character the header cannot encode).
_UNBUILDABLE = (ValueError, TypeError, KeyError, email.errors.MessageError)


@dataclass(frozen=True)
class Mail:
    """A message ready for the wire: envelope and bytes, so sending builds nothing."""

    sender: str
    recipient: str
    data: bytes


def display_name(name: str) -> str:
    """A name fit for a header: control characters (line breaks...) become spaces.

    Names are checked where they are entered; this keeps a name stored before that
    rule (or arriving from elsewhere) from making the whole mail unbuildable.
    """
    cleaned = "".join(" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch for ch in name)
    return " ".join(cleaned.split())


def build_mail(delivery: Delivery, settings: MailSettings) -> Mail:
    """The delivery as bytes; raises ``Permanent`` when it cannot be built."""
    try:
        p: dict[str, Any] = delivery.payload
        msg = EmailMessage()
        msg["From"] = email.utils.formataddr((display_name(settings.from_name), settings.from_address))
        msg["To"] = email.utils.formataddr((display_name(str(p.get("name") or "")), delivery.address))
        msg["Subject"] = str(p["subject"])
        msg["Date"] = email.utils.formatdate(localtime=False)
        for name, value in dict(p.get("headers") or {}).items():
            msg[name] = str(value)
        msg.set_content(str(p["text"]))
        msg.add_alternative(str(p["html"]), subtype="html")
        data = msg.as_bytes(policy=email.policy.SMTP)
    except _UNBUILDABLE as exc:
        raise Permanent(f"cannot build the message: {exc!r}") from exc
    return Mail(settings.from_address, delivery.address, data)


class SmtpSession:
    """One SMTP connection, opened on the first send, reused for the batch."""

    def __init__(self, settings: MailSettings, *, timeout: float = 10.0) -> None:
        self._settings = settings
        self._timeout = timeout
        self._smtp: aiosmtplib.SMTP | None = None

    async def _connect(self) -> aiosmtplib.SMTP:
        s = self._settings
        smtp = aiosmtplib.SMTP(
            hostname=s.host,
            port=s.port,
            use_tls=s.security == "tls",
            start_tls=s.security == "starttls",
            timeout=self._timeout,
        )
        await smtp.connect()
        if s.username:
            await smtp.login(s.username, s.password)
        return smtp

    async def send(self, delivery: Delivery) -> None:
        mail = build_mail(delivery, self._settings)
        try:
            if self._smtp is None:
                self._smtp = await self._connect()
            await self._smtp.sendmail(mail.sender, [mail.recipient], mail.data)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            # The server works; it refuses this recipient: for good (5xx) or for now (4xx).
            if all(500 <= e.code < 600 for e in exc.recipients):
                raise Permanent(f"recipient refused: {exc}") from exc
            raise Transient(f"recipient deferred: {exc}") from exc
        except aiosmtplib.SMTPNotSupported as exc:
            raise Permanent(f"the server cannot take this message: {exc}") from exc
        except aiosmtplib.SMTPDataError as exc:
            await self.close()
            if 500 <= exc.code < 600:  # this message's content refused (too large, spam...)
                raise Permanent(f"message refused: {exc.code} {exc.message}") from exc
            raise Transient(f"message deferred: {exc.code} {exc.message}") from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            # Connection, TLS, greeting, authentication, sender refused, 421...: the
            # channel, not this message. Nothing here is this delivery's fault.
            await self.close()
            raise ChannelDown(f"SMTP unavailable: {exc!r}") from exc

    async def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None and smtp.is_connected:
            try:
                await smtp.quit()
            except (aiosmtplib.SMTPException, OSError, TimeoutError):
                smtp.close()


def _retry_after(value: str | None, default: float = 30.0) -> float:
    if not value:
        return default
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    return max((parsed - dt.datetime.now(dt.UTC)).total_seconds(), 0.0)


class PushbulletSession:
    """``POST /v2/pushes`` with the workspace's access token: a note with title and link."""

    def __init__(self, settings: PushbulletSettings, *, timeout: float = 10.0) -> None:
        problem = domain.token_problem(settings.access_token)
        if problem is not None:
            # Stored before tokens were checked: the channel waits until an admin fixes it.
            raise ChannelDown(f"the Pushbullet access token is not {problem}: fix the settings")
        self._settings = settings
        self._client = httpx.AsyncClient(
            base_url=settings.base_url.rstrip("/"),
            headers={"Access-Token": settings.access_token},
            timeout=timeout,
        )

    async def send(self, delivery: Delivery) -> None:
        p = delivery.payload
        try:
            body = "\n".join(x for x in (str(p.get("body") or ""), str(p.get("url") or "")) if x)
            push: dict[str, str] = {"type": "note", "title": str(p["title"]), "body": body}
        except _UNBUILDABLE as exc:
            raise Permanent(f"cannot build the push: {exc!r}") from exc
        if "@" in delivery.address:
            push["email"] = delivery.address
        else:
            push["device_iden"] = delivery.address
        try:
            resp = await self._client.post("/v2/pushes", json=push)
        except httpx.HTTPError as exc:
            raise ChannelDown(f"Pushbullet unavailable: {exc!r}") from exc
        if resp.status_code == 429:
            raise Throttled(_retry_after(resp.headers.get("Retry-After")))
        if resp.status_code >= 500:
            raise ChannelDown(f"Pushbullet {resp.status_code}: {resp.text[:200]}")
        if resp.status_code >= 400:
            raise Permanent(f"Pushbullet {resp.status_code}: {resp.text[:200]}")

    async def close(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> PushbulletSession:
        return self

    async def __aexit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
