"""The digest as an email: building the message (pure) and sending it by SMTP.

`build_message` takes every varying part — the date, the Message-ID, the MIME boundary — as a
parameter, so the same inputs give the same bytes (the golden files rely on it).

`send_message` talks to the `[email]` server: implicit TLS (`ssl = true`) or STARTTLS, then a
login when `username` is set, with the password the caller read from WATCHCLI_SMTP_PASSWORD.
Every failure becomes a `DeliveryError` with one line that says what to fix; the password is
never part of a message, and smtplib's debug output (which would show the AUTH exchange) is
never turned on.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Sequence
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid, parseaddr

from watchcli.config import EmailSettings
from watchcli.errors import DeliveryError, UsageError

PASSWORD_ENV = "WATCHCLI_SMTP_PASSWORD"
SMTP_TIMEOUT = 60.0  # seconds for the connection and each command


def build_message(
    *,
    subject: str,
    text: str,
    html: str,
    from_addr: str,
    to: Sequence[str],
    now: datetime,
    lang: str = "fr",
    message_id: str | None = None,
    boundary: str | None = None,
) -> EmailMessage:
    """A `multipart/alternative` message: the plain text first, then the HTML (the part mail
    clients prefer comes last), both UTF-8 in quoted-printable, lines ending in CRLF."""
    message = EmailMessage(policy=policy.SMTP)
    message["Subject"] = subject
    message["From"] = from_addr
    if to:  # a .eml written without recipients gets them in the mail client
        message["To"] = ", ".join(to)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id or make_msgid(domain=_domain(from_addr))
    # RFC 3834: an automatic message; vacation responders leave it alone.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    message["Content-Language"] = lang  # after set_content, which drops Content-* headers
    for part in message.iter_parts():
        del part["MIME-Version"]  # belongs to the message only (RFC 2045 §4)
    if boundary:
        message.set_boundary(boundary)
    return message


def _domain(address: str) -> str:
    _, addr = parseaddr(address)
    return addr.rpartition("@")[2] or "localhost"


def recipients_of(message: EmailMessage) -> list[str]:
    return [addr for _, addr in getaddresses([str(message["To"])]) if addr]


def check_address(value: str) -> str:
    """`value` when it reads as one email address, else a UsageError."""
    _, addr = parseaddr(value)
    try:
        if "@" not in addr or any(c.isspace() for c in addr):
            raise ValueError
        Address(addr_spec=addr)
    except (ValueError, IndexError):
        raise UsageError(f"'{value}' is not an email address") from None
    return value


def check_settings(settings: EmailSettings, password: str | None) -> None:
    """Everything sending needs, before anything is built or connected: exit 2 names the fix."""
    if not settings.host:
        raise UsageError("cannot send: no SMTP server; set host in the [email] table")
    if not settings.from_addr:
        raise UsageError("cannot send: no sender; set from in the [email] table")
    if settings.username and not password:
        raise UsageError(
            f"cannot send: [email] username is set but {PASSWORD_ENV} is empty; export the "
            f"SMTP password in {PASSWORD_ENV}"
        )


def send_message(
    message: EmailMessage,
    settings: EmailSettings,
    *,
    password: str | None,
    recipients: Sequence[str],
    timeout: float = SMTP_TIMEOUT,
    tls_context: ssl.SSLContext | None = None,
) -> None:
    """Send `message` to `recipients` through the `[email]` server, or raise DeliveryError."""
    check_settings(settings, password)
    server = f"{settings.host}:{settings.port}"
    context = tls_context or ssl.create_default_context()
    try:
        smtp: smtplib.SMTP
        if settings.ssl:
            smtp = smtplib.SMTP_SSL(settings.host, settings.port, timeout=timeout, context=context)
        else:
            smtp = smtplib.SMTP(settings.host, settings.port, timeout=timeout)
        with smtp:
            if settings.starttls:
                smtp.starttls(context=context)
            if settings.username:
                smtp.login(settings.username, password or "")
            refused = smtp.send_message(
                message, from_addr=parseaddr(settings.from_addr)[1], to_addrs=list(recipients)
            )
    except smtplib.SMTPAuthenticationError as error:
        raise DeliveryError(
            f"{server} refused the login of '{settings.username}' ({_reply(error)}); check "
            f"{PASSWORD_ENV} and [email] username"
        ) from None
    except smtplib.SMTPRecipientsRefused as error:
        raise DeliveryError(
            f"{server} refused every recipient: {_refusals(error.recipients)}; nothing was sent"
        ) from None
    except smtplib.SMTPSenderRefused as error:
        raise DeliveryError(
            f"{server} refused the sender {settings.from_addr} ({_reply(error)}); check "
            "[email] from"
        ) from None
    except smtplib.SMTPNotSupportedError as error:
        if "STARTTLS" in str(error):
            hint = (
                "the server does not offer STARTTLS; set starttls = false only if it is on a "
                "trusted network"
            )
        elif "AUTH" in str(error):
            hint = (
                "the server offers no login (AUTH) on this connection; many offer it only "
                "over TLS (starttls or ssl), or remove username from [email]"
            )
        else:
            hint = str(error)
        raise DeliveryError(f"{server}: {hint}") from None
    except smtplib.SMTPResponseException as error:
        raise DeliveryError(f"{server} answered {_reply(error)}; nothing was sent") from None
    except smtplib.SMTPServerDisconnected as error:
        if isinstance(error.__context__, TimeoutError):  # smtplib's wrapping of a timeout
            raise DeliveryError(
                f"{server} did not answer within {timeout:g} s; is it an SMTP server? Try "
                "again later"
            ) from None
        raise DeliveryError(
            f"{server} closed the connection ({error or 'no reason given'}); is it an SMTP "
            "server, and is [email] ssl/starttls right for this port?"
        ) from None
    except ConnectionRefusedError:
        raise DeliveryError(
            f"cannot connect to the SMTP server {server}: connection refused; check [email] "
            "host and port"
        ) from None
    except socket.gaierror as error:
        raise DeliveryError(
            f"cannot find the SMTP server {settings.host}: {error.strerror or error}; check "
            "[email] host"
        ) from None
    except ssl.SSLError as error:
        raise DeliveryError(
            f"TLS with {server} failed: {error.reason or error}; check [email] ssl/starttls "
            "and the server's certificate"
        ) from None
    except TimeoutError:
        raise DeliveryError(
            f"{server} did not answer within {timeout:g} s; try again later"
        ) from None
    except smtplib.SMTPException as error:
        raise DeliveryError(f"{server}: {error}") from None
    except OSError as error:
        raise DeliveryError(
            f"cannot reach the SMTP server {server}: {error.strerror or error}"
        ) from None
    if refused:
        raise DeliveryError(
            f"sent, but {server} refused {_refusals(refused)}; the others received it"
        )


def _reply(error: smtplib.SMTPResponseException) -> str:
    return f"{error.smtp_code} {_text(error.smtp_error)}".strip()


def _refusals(refused: dict[str, tuple[int, bytes]]) -> str:
    return ", ".join(f"{addr} ({code} {_text(reply)})" for addr, (code, reply) in refused.items())


def _text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return " ".join(text.split())
