"""The digest by email, against a real SMTP server (aiosmtpd) on 127.0.0.1: the message it
receives, the login, TLS, and every documented failure with its one line and exit code.

STARTTLS and implicit TLS use a self-signed certificate made by the `openssl` command; the
installed `watchcli` trusts it through SSL_CERT_FILE, as it would trust a real CA.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from html import unescape
from pathlib import Path

import pytest

from tests.conftest import Workspace
from tests.digeststore import IN_DIGEST, NOW, PASSWORD, STORIES, fill_store, write_config
from tests.smtpserver import SmtpServer, free_port, make_certificate
from watchcli.config import EmailSettings
from watchcli.errors import DeliveryError, UsageError
from watchcli.mail import build_message, check_address, send_message

# The week of the golden store, whatever today is.
WEEK_ARGS = ("digest", "--week", "2026-W48")


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    return lines[0]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    made = make_certificate(tmp_path_factory.mktemp("tls"))
    if made is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    return made


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    with SmtpServer(PASSWORD, refuse={"nobody@example.org"}) as running:
        yield running


def ready(workspace: Workspace, port: int, **options: object) -> Workspace:
    config = write_config(workspace, port=port, **options)  # type: ignore[arg-type]
    fill_store(workspace.db, config)
    return workspace


def send(workspace: Workspace, *args: str, password: str | None = PASSWORD, **env: str):
    environment = dict(env)
    if password is not None:
        environment["WATCHCLI_SMTP_PASSWORD"] = password
    return workspace.run(*WEEK_ARGS, "--send", *args, env=environment)


def assert_digest_message(message: EmailMessage) -> None:
    assert message.get_content_type() == "multipart/alternative"
    parts = list(message.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in parts)
    assert str(message["Subject"]) == (
        "Veille mutualisée CERAPCOOP – RESACOOP — semaine 48, du 23 au 29 novembre 2026"
    )
    assert str(message["From"]) == "Veille mutualisée <veille@example.org>"
    assert message["Date"] and message["Message-ID"].endswith("@example.org>")
    text = parts[0].get_content()  # type: ignore[attr-defined]
    html = parts[1].get_content()  # type: ignore[attr-defined]
    for key in IN_DIGEST:
        if key != "hostile":
            assert STORIES[key].title in unescape(html)
    assert "Éducation à la citoyenneté" in text and "Éducation à la citoyenneté" in html
    assert "<script>" not in html


# --- a real server ----------------------------------------------------------------------------


def test_send_delivers_the_digest_with_login(workspace: Workspace, server: SmtpServer) -> None:
    ready(workspace, server.port)
    result = send(workspace)
    assert result.returncode == 0, result.stderr
    assert one_line(result.stdout).startswith("sent “Veille mutualisée")
    assert "to cerapcoop@example.org, resacoop@example.org via 127.0.0.1:" in result.stdout
    assert result.stderr == ""
    [received] = server.received
    assert received.login == "veille" and not received.tls
    assert server.recorder.logins and server.recorder.logins[0][1] == "veille"
    assert received.mail_from == "veille@example.org"
    assert received.rcpt_tos == ["cerapcoop@example.org", "resacoop@example.org"]
    assert str(received.message["To"]) == "cerapcoop@example.org, resacoop@example.org"
    assert_digest_message(received.message)
    assert PASSWORD not in result.stdout + result.stderr


def test_to_replaces_the_configured_recipients_and_a_copy_is_kept(
    workspace: Workspace, server: SmtpServer
) -> None:
    ready(workspace, server.port)
    copy = workspace.folder / "sent.eml"
    result = send(workspace, "--to", "a@example.org", "--to", "b@example.org", "-o", str(copy))
    assert result.returncode == 0, result.stderr
    [received] = server.received
    assert received.rcpt_tos == ["a@example.org", "b@example.org"]
    assert copy.read_bytes().replace(b"\r\n", b"\n") == received.data.replace(b"\r\n", b"\n")


def test_a_wrong_password_is_one_line_and_exit_1(workspace: Workspace, server: SmtpServer) -> None:
    ready(workspace, server.port)
    result = send(workspace, password="not the password")
    assert result.returncode == 1
    line = one_line(result.stderr)
    assert "refused the login of 'veille' (535" in line
    assert "WATCHCLI_SMTP_PASSWORD" in line
    assert "not the password" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert server.received == []


def test_the_password_never_shows_even_with_debug(workspace: Workspace, server: SmtpServer) -> None:
    ready(workspace, server.port)
    result = workspace.run(
        "--debug", *WEEK_ARGS, "--send", env={"WATCHCLI_SMTP_PASSWORD": "hunter2-secret"}
    )
    assert result.returncode == 1
    assert "hunter2-secret" not in result.stdout + result.stderr


def test_a_refused_recipient_is_one_line_and_exit_1(
    workspace: Workspace, server: SmtpServer
) -> None:
    ready(workspace, server.port)
    result = send(workspace, "--to", "nobody@example.org")
    assert result.returncode == 1
    line = one_line(result.stderr)
    assert "refused every recipient: nobody@example.org (550" in line
    assert server.received == []

    partly = send(workspace, "--to", "a@example.org", "--to", "nobody@example.org")
    assert partly.returncode == 1
    assert "sent, but 127.0.0.1:" in one_line(partly.stderr)
    assert "refused nobody@example.org (550" in partly.stderr
    assert [r.rcpt_tos for r in server.received] == [["a@example.org"]]


def test_a_refused_connection_is_one_line_and_exit_1(workspace: Workspace) -> None:
    ready(workspace, free_port())  # nothing listens there
    result = send(workspace)
    assert result.returncode == 1
    line = one_line(result.stderr)
    assert "cannot connect to the SMTP server 127.0.0.1:" in line
    assert "connection refused" in line


def test_missing_settings_exit_2_naming_the_fix(workspace: Workspace, server: SmtpServer) -> None:
    ready(workspace, server.port)
    no_password = send(workspace, password=None)
    assert no_password.returncode == 2
    assert "WATCHCLI_SMTP_PASSWORD is empty" in one_line(no_password.stderr)

    workspace.config.write_text(
        workspace.config.read_text("utf-8").replace('host = "127.0.0.1"', ""), "utf-8"
    )
    no_host = send(workspace)
    assert no_host.returncode == 2
    assert "set host in the [email] table" in one_line(no_host.stderr)

    bad = workspace.run(*WEEK_ARGS, "--format", "email", "--to", "not an address")
    assert bad.returncode == 2
    assert "is not an email address" in one_line(bad.stderr)


def test_an_empty_digest_is_not_sent(workspace: Workspace, server: SmtpServer) -> None:
    ready(workspace, server.port)
    result = workspace.run(
        "digest", "--week", "2026-W40", "--send", env={"WATCHCLI_SMTP_PASSWORD": PASSWORD}
    )
    assert result.returncode == 1
    assert "nothing to send: no item selected for week 40" in one_line(result.stderr)
    assert server.received == []


def test_no_login_without_username(workspace: Workspace) -> None:
    with SmtpServer(PASSWORD) as server:
        ready(workspace, server.port, username=None)
        result = send(workspace, password=None)
        assert result.returncode == 0, result.stderr
        [received] = server.received
        assert received.login is None


# --- TLS --------------------------------------------------------------------------------------


def test_starttls_then_login(workspace: Workspace, certificate: tuple[Path, Path]) -> None:
    with SmtpServer(PASSWORD, tls="starttls", certificate=certificate) as server:
        ready(workspace, server.port, starttls=True)
        result = send(workspace, SSL_CERT_FILE=str(certificate[0]))
        assert result.returncode == 0, result.stderr
        [received] = server.received
        assert received.tls and received.login == "veille"
        assert_digest_message(received.message)


def test_implicit_tls_then_login(workspace: Workspace, certificate: tuple[Path, Path]) -> None:
    with SmtpServer(PASSWORD, tls="implicit", certificate=certificate) as server:
        ready(workspace, server.port, ssl=True)
        result = send(workspace, SSL_CERT_FILE=str(certificate[0]))
        assert result.returncode == 0, result.stderr
        [received] = server.received
        assert received.tls and received.login == "veille"
        assert_digest_message(received.message)


def test_an_untrusted_certificate_is_one_line_and_exit_1(
    workspace: Workspace, certificate: tuple[Path, Path]
) -> None:
    with SmtpServer(PASSWORD, tls="starttls", certificate=certificate) as server:
        ready(workspace, server.port, starttls=True)
        result = send(workspace)  # the self-signed certificate is not trusted
        assert result.returncode == 1
        assert "TLS with 127.0.0.1:" in one_line(result.stderr)
        assert "CERTIFICATE_VERIFY_FAILED" in result.stderr
        assert server.received == []


def test_starttls_against_a_server_without_it(workspace: Workspace, server: SmtpServer) -> None:
    ready(workspace, server.port, starttls=True)
    result = send(workspace)
    assert result.returncode == 1
    assert "does not offer STARTTLS" in one_line(result.stderr)


# --- the message and the settings, in process ------------------------------------------------


def test_build_message_is_deterministic_given_its_inputs() -> None:
    def make() -> bytes:
        return build_message(
            subject="Veille — semaine 48",
            text="Éducation\n",
            html="<p>Éducation</p>\n",
            from_addr="veille@example.org",
            to=["a@example.org"],
            now=datetime(2026, 11, 30, 7, tzinfo=UTC),
            message_id="<x@example.org>",
            boundary="b-1",
        ).as_bytes()

    assert make() == make()
    assert b"\r\n" in make() and b"\n" not in make().replace(b"\r\n", b"")


def test_send_message_refuses_missing_settings_before_connecting() -> None:
    message = EmailMessage()
    with pytest.raises(UsageError, match="set host"):
        send_message(message, EmailSettings(), password=None, recipients=["a@example.org"])
    with pytest.raises(UsageError, match="set from"):
        send_message(message, EmailSettings(host="h"), password=None, recipients=["a@example.org"])


def test_delivery_errors_never_carry_the_password(server: SmtpServer) -> None:
    settings = EmailSettings(
        host="127.0.0.1",
        port=server.port,
        starttls=False,
        from_addr="veille@example.org",
        username="veille",
    )
    message = build_message(
        subject="s",
        text="t",
        html="<p>h</p>",
        from_addr="veille@example.org",
        to=["a@example.org"],
        now=NOW,
    )
    with pytest.raises(DeliveryError) as caught:
        send_message(message, settings, password="s3cret-value", recipients=["a@example.org"])
    assert "s3cret-value" not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


@pytest.mark.parametrize(
    ("behaviour", "expected"),
    [("silent", "did not answer within 0.5 s"), ("hang-up", "closed the connection")],
)
def test_a_server_that_never_greets_or_hangs_up(behaviour: str, expected: str) -> None:
    """No SMTP greeting (a firewall, a wrong port) or a connection closed at once."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if behaviour == "hang-up":
                connection.close()
            else:
                stop.wait(5)
                connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    settings = EmailSettings(
        host="127.0.0.1",
        port=listener.getsockname()[1],
        starttls=False,
        from_addr="veille@example.org",
    )
    try:
        with pytest.raises(DeliveryError, match=expected):
            send_message(
                EmailMessage(), settings, password=None, recipients=["a@example.org"], timeout=0.5
            )
    finally:
        stop.set()
        listener.close()
        thread.join(timeout=5)


def test_check_address() -> None:
    assert check_address("Léa <lea@example.org>") == "Léa <lea@example.org>"
    for bad in ("lea", "lea@", "a b@example.org", ""):
        with pytest.raises(UsageError):
            check_address(bad)


def test_ssl_errors_are_os_errors() -> None:
    # send_message catches ssl.SSLError before OSError: keep that order meaningful.
    assert issubclass(ssl.SSLError, OSError)
