"""Errors a user can act on, each with the exit code of SPEC §2.

    WatchError (exit 1: the command ran but something failed)
    ├── NotFoundError       an item id or source id that does not exist
    ├── ClaimError          someone else holds the item
    │   └── HeldError       ... personally: who, and in which network
    ├── DeliveryError       SMTP refused the connection, the login or a recipient
    ├── FetchFailedError    some sources failed while others were stored
    ├── UsageError (exit 2) bad option or argument
    │   ├── ConfigError     invalid sources.toml ("file:line: message")
    │   └── IdentityError   the acting user is not a member of any network
    └── FetchLockedError (exit 75) another fetch holds the store's lock

`cli.py` turns them into one line on stderr and the exit code, in one place.
Anything else that escapes is a bug and shows its traceback with --debug.
"""

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_TEMPFAIL = 75  # sysexits.h EX_TEMPFAIL: cron will try again next time


class WatchError(Exception):
    exit_code = EXIT_FAILED


class NotFoundError(WatchError):
    pass


class ClaimError(WatchError):
    pass


class HeldError(ClaimError):
    """A member other than the one acting holds the item; only they (or `claim --force`) may
    change who holds it or its status."""

    def __init__(self, item_id: int, holder: str, network: str | None) -> None:
        self.item_id = item_id
        self.holder = holder
        self.network = network
        held = f"{holder} ({network})" if network else holder
        super().__init__(f"item {item_id} is held by {held}")


class DeliveryError(WatchError):
    pass


class FetchFailedError(WatchError):
    pass


class UsageError(WatchError):
    exit_code = EXIT_USAGE


class ConfigError(UsageError):
    pass


class IdentityError(UsageError):
    pass


class FetchLockedError(WatchError):
    exit_code = EXIT_TEMPFAIL
