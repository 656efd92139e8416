"""The channels' senders: SMTP (aiosmtplib) and Pushbullet's HTTP API (httpx).

A sender opens a session (one SMTP connection, one HTTP client) for a batch and
sends one delivery at a time. Failures are sorted for the worker:
``Transient`` (retry with backoff), ``Permanent`` (dead letter at once),
``Throttled`` (the provider asked to wait: not the delivery's fault).
"""

from __future__ import annotations

import email.utils
from email.message import EmailMessage
from types import TracebackType
from typing import Any, Protocol

import aiosmtplib
import httpx

from helpdesk_notify.store import Delivery
from helpdesk_notify.usecases import MailSettings, PushbulletSettings


class DeliveryError(Exception):
    pass


class Transient(DeliveryError):
    """Try again later (server down, timeout, 4xx from SMTP, 5xx from HTTP)."""


class Permanent(DeliveryError):
    """Will never work (address refused, bad request, bad token)."""


class Throttled(DeliveryError):
    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited; retry after {retry_after:g}s")
        self.retry_after = retry_after


class Session(Protocol):
    async def send(self, delivery: Delivery) -> None: ...

    async def close(self) -> None: ...


def build_mail(delivery: Delivery, settings: MailSettings) -> EmailMessage:
    p: dict[str, Any] = delivery.payload
    msg = EmailMessage()
    msg["From"] = email.utils.formataddr((settings.from_name, settings.from_address))
    msg["To"] = email.utils.formataddr((str(p.get("name") or ""), delivery.address))
    msg["Subject"] = str(p["subject"])
    msg["Date"] = email.utils.formatdate(localtime=False)
    for name, value in dict(p.get("headers") or {}).items():
        msg[name] = str(value)
    msg.set_content(str(p["text"]))
    msg.add_alternative(str(p["html"]), subtype="html")
    return msg


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
        try:
            if self._smtp is None:
                self._smtp = await self._connect()
            await self._smtp.send_message(build_mail(delivery, self._settings))
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [e.code for e in exc.recipients]
            if all(500 <= c < 600 for c in codes):
                raise Permanent(f"recipient refused: {exc}") from exc
            raise Transient(f"recipient deferred: {exc}") from exc
        except aiosmtplib.SMTPAuthenticationError as exc:
            await self.close()
            raise Transient(f"authentication failed: {exc}") from exc
        except aiosmtplib.SMTPResponseException as exc:
            await self.close()
            if 500 <= exc.code < 600 and exc.code not in (503, 554):
                raise Permanent(f"{exc.code} {exc.message}") from exc
            raise Transient(f"{exc.code} {exc.message}") from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            await self.close()
            raise Transient(f"SMTP unavailable: {exc!r}") from exc

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
        parsed = email.utils.parsedate_to_datetime(value)
        import datetime as _dt

        return max((parsed - _dt.datetime.now(_dt.UTC)).total_seconds(), 0.0)


class PushbulletSession:
    """``POST /v2/pushes`` with the workspace's access token: a note with title and link."""

    def __init__(self, settings: PushbulletSettings, *, timeout: float = 10.0) -> None:
        self._settings = settings
        self._client = httpx.AsyncClient(
            base_url=settings.base_url.rstrip("/"),
            headers={"Access-Token": settings.access_token},
            timeout=timeout,
        )

    async def send(self, delivery: Delivery) -> None:
        p = delivery.payload
        body = "\n".join(x for x in (str(p.get("body") or ""), str(p.get("url") or "")) if x)
        push: dict[str, str] = {"type": "note", "title": str(p["title"]), "body": body}
        if "@" in delivery.address:
            push["email"] = delivery.address
        else:
            push["device_iden"] = delivery.address
        try:
            resp = await self._client.post("/v2/pushes", json=push)
        except httpx.HTTPError as exc:
            raise Transient(f"Pushbullet unavailable: {exc!r}") from exc
        if resp.status_code == 429:
            raise Throttled(_retry_after(resp.headers.get("Retry-After")))
        if resp.status_code >= 500:
            raise Transient(f"Pushbullet {resp.status_code}: {resp.text[:200]}")
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
