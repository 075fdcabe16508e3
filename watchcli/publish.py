"""`watchcli digest`: which period, which items, in which form, to where.

The orchestration between the store (`Store.digest_items`, `Store.figures`), the pure digest
(`digest.build_digest`, `digest.render_digest`) and the mail (`mail.build_message`,
`mail.send_message`). No SQL, no template and no SMTP dialogue here.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

from watchcli.config import Config
from watchcli.dates import parse_since, week_bounds
from watchcli.digest import Digest, build_digest, render_digest, render_html
from watchcli.errors import UsageError, WatchError
from watchcli.mail import (
    PASSWORD_ENV,
    build_message,
    check_address,
    check_settings,
    recipients_of,
    send_message,
)
from watchcli.store import Store

__all__ = ["PASSWORD_ENV", "compose_digest", "digest_request", "render_output", "send_digest"]

DIGEST_FORMATS = ("markdown", "html", "text", "json", "email")


@dataclass(frozen=True)
class DigestRequest:
    since: datetime
    until: datetime
    week: bool  # the period is one ISO week
    network: str | None = None
    include_all: bool = False


def digest_request(
    config: Config,
    *,
    week: str | None,
    since: str | None,
    until: str | None,
    network: str | None,
    include_all: bool,
    now: datetime,
) -> DigestRequest:
    """The period and filters of `watchcli digest`: an ISO week (`last` by default), or
    `--since` [`--until`, default now]."""
    if week and (since or until):
        raise UsageError("choose either --week or --since/--until, not both")
    if until and not since:
        raise UsageError("--until needs --since (or use --week)")
    if network is not None and network not in config.networks:
        known = ", ".join(config.networks) or "none (add a [networks.<id>] table)"
        raise UsageError(f"unknown network '{network}'; known: {known}")
    if since:
        start = parse_since(since, now=now)
        end = parse_since(until, now=now) if until else now
        if end <= start:
            raise UsageError(f"--until ({until or 'now'}) must come after --since ({since})")
        return DigestRequest(start, end, False, network, include_all)
    start, end = week_bounds(week or "last", now=now)
    return DigestRequest(start, end, True, network, include_all)


def compose_digest(
    store: Store, config: Config, request: DigestRequest, *, now: datetime
) -> Digest:
    members: Sequence[str] = ()
    sources: Sequence[str] = ()
    if request.network:
        members = config.networks[request.network].members
        sources = [s.id for s in config.sources if s.network == request.network]
    rows = store.reports.digest_items(
        request.since,
        request.until,
        include_all=request.include_all,
        network=request.network,
        network_sources=sources,
        network_members=members,
    )
    figures = store.reports.figures(request.since, request.until)
    return build_digest(
        rows,
        figures,
        config,
        since=request.since,
        until=request.until,
        week=request.week,
        now=now,
        network=request.network,
        include_all=request.include_all,
    )


def digest_email(
    digest: Digest,
    config: Config,
    *,
    to: Sequence[str],
    now: datetime,
    message_id: str | None = None,
    boundary: str | None = None,
) -> EmailMessage:
    """The digest as a multipart/alternative message From/To the `[email]` table (or `to`)."""
    if not config.email.from_addr:
        raise UsageError("the digest email needs a sender: set from in the [email] table")
    templates = config.digest.templates
    return build_message(
        subject=digest.subject,
        text=render_digest(digest, "text", templates=templates),
        html=render_html(digest, templates=templates),
        from_addr=config.email.from_addr,
        to=[check_address(a) for a in to] if to else list(config.email.to),
        now=now,
        lang=digest.lang,
        message_id=message_id,
        boundary=boundary,
    )


def render_output(
    digest: Digest,
    fmt: str,
    config: Config,
    *,
    to: Sequence[str],
    now: datetime,
    message_id: str | None = None,
    boundary: str | None = None,
) -> bytes:
    """The digest in `fmt` as the bytes to write: UTF-8 text, or the .eml message."""
    if fmt not in DIGEST_FORMATS:
        raise UsageError(f"unknown format '{fmt}'; use one of {', '.join(DIGEST_FORMATS)}")
    if to and fmt != "email":
        raise UsageError("--to only applies to --send and --format email")
    if fmt == "email":
        message = digest_email(
            digest, config, to=to, now=now, message_id=message_id, boundary=boundary
        )
        return message.as_bytes()
    return render_digest(digest, fmt, templates=config.digest.templates).encode("utf-8")


def send_digest(
    digest: Digest,
    config: Config,
    *,
    to: Sequence[str],
    password: str | None,
    now: datetime,
    copy: Path | None = None,
) -> str:
    """Send the digest by SMTP; returns the line that says so. `copy` keeps the .eml sent."""
    check_settings(config.email, password)
    if not to and not config.email.to:
        raise UsageError("cannot send: no recipient; set to in the [email] table or pass --to")
    if not digest.count:
        raise EmptyDigestError(digest)
    message = digest_email(digest, config, to=to, now=now)
    if copy is not None:
        write_output(message.as_bytes(), copy)
    recipients = recipients_of(message)
    send_message(message, config.email, password=password, recipients=recipients)
    return (
        f"sent “{digest.subject}” ({digest.count} items) to {', '.join(recipients)} "
        f"via {config.email.host}:{config.email.port}"
    )


class EmptyDigestError(WatchError):
    """Nothing was selected: an empty digest is not sent (exit 1, so cron reports it)."""

    def __init__(self, digest: Digest) -> None:
        what = f"week {digest.week}" if digest.week else "this period"
        super().__init__(
            f"nothing to send: no item selected for {what}; select items with "
            "`watchcli select`, or send every unsorted item with --all"
        )


def write_output(data: bytes, path: Path) -> None:
    """Write `data` to `path` whole or not at all (a temporary file renamed over it)."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"cannot write {path}: folder {folder} does not exist")
    tmp = ""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 is for secrets, not for a digest
        os.replace(tmp, path)
    except OSError as error:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
        raise UsageError(f"cannot write {path}: {error.strerror or error}") from None
