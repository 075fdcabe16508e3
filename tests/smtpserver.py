"""A real SMTP server on 127.0.0.1 (aiosmtpd) for the email tests: AUTH LOGIN/PLAIN with one
account, optional STARTTLS or implicit TLS with a self-signed certificate made by the `openssl`
command, and recipients it refuses."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

USERNAME = "veille"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_certificate(folder: Path) -> tuple[Path, Path] | None:
    """A self-signed certificate for 127.0.0.1 (cert, key), or None without `openssl`."""
    openssl = shutil.which("openssl")
    if openssl is None:
        return None
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    login: str | None
    tls: bool

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.data, policy=policy.default)  # type: ignore[return-value]


@dataclass
class Recorder:
    password: str
    refuse: set[str] = field(default_factory=set)
    received: list[Received] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)  # (mechanism, login)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        login = session.auth_data.decode() if isinstance(session.auth_data, bytes) else None
        content = envelope.original_content or envelope.content
        assert isinstance(content, bytes)
        self.received.append(
            Received(
                mail_from=envelope.mail_from or "",
                rcpt_tos=list(envelope.rcpt_tos),
                data=content,
                login=login,
                tls=server.transport is not None
                and server.transport.get_extra_info("ssl_object") is not None,
            )
        )
        return "250 Message accepted for delivery"

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if (
            isinstance(data, LoginPassword)
            and data.login == USERNAME.encode()
            and data.password == self.password.encode()
        ):
            self.logins.append((mechanism, data.login.decode()))
            return AuthResult(success=True, auth_data=data.login)
        return AuthResult(success=False, handled=False)


class SmtpServer:
    """`with SmtpServer(...) as server:` — listening on 127.0.0.1:`server.port`."""

    def __init__(
        self,
        password: str,
        *,
        refuse: Iterable[str] = (),
        tls: str | None = None,  # None, "starttls" or "implicit"
        certificate: tuple[Path, Path] | None = None,
    ) -> None:
        self.recorder = Recorder(password, set(refuse))
        self.port = free_port()
        kwargs: dict[str, Any] = {
            "authenticator": self.recorder.authenticate,
            # aiosmtpd counts only STARTTLS as TLS for AUTH; implicit TLS is TLS all along.
            "auth_require_tls": tls == "starttls",
        }
        if tls:
            assert certificate is not None
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(certificate[0]), str(certificate[1]))
            if tls == "starttls":
                kwargs.update(tls_context=context, require_starttls=True)
            else:
                kwargs.update(ssl_context=context)
        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port, **kwargs)

    @property
    def received(self) -> list[Received]:
        return self.recorder.received

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()
