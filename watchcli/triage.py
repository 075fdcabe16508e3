"""Triage actions of a member on items: who may act, what they may write, one result per item.

No SQL here (`store.py`) and no output (`cli.py`). The rules:

- only a member of a network may change items (IdentityError, exit 2, naming the fix);
- usage problems (a tag outside the vocabulary, an unknown network or member) are found before
  any item is touched (exit 2);
- each id is its own short transaction: a missing item, or one held by another member, fails
  on its own (a failed Result), and the other ids are still done;
- an item held by a member (its `assignee`) is theirs: only they change its status or who holds
  it; `claim --force` takes it, and the history says from whom. Tags and notes are open to every
  member. A network's assignment is a default, not a lock: any member may claim such an item.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from watchcli.config import Config
from watchcli.dates import utcnow
from watchcli.errors import HeldError, IdentityError, NotFoundError, UsageError
from watchcli.models import Status
from watchcli.store import Store
from watchcli.text import clean_text


@dataclass(frozen=True)
class Actor:
    """A member acting on items, and the network they belong to."""

    name: str
    network: str


@dataclass(frozen=True)
class Target:
    """Who an item is assigned to: a network, or a member and their network."""

    network: str
    assignee: str | None = None

    def __str__(self) -> str:
        return f"{self.assignee} ({self.network})" if self.assignee else self.network


@dataclass(frozen=True)
class Result:
    """What happened to one item: a line for stdout when `ok`, else for stderr."""

    item_id: int
    ok: bool
    message: str


def require_member(config: Config, user: str) -> Actor:
    """The acting member; IdentityError (exit 2) naming the fix when `user` is in no network."""
    network = config.network_of(user)
    if network is None:
        if config.networks:
            tables = " or ".join(f"[networks.{n}]" for n in config.networks)
            fix = f"add them to members in {tables} of {config.path}"
        else:
            fix = f'add a [networks.<id>] table with members = ["{user}"] to {config.path}'
        raise IdentityError(
            f"{user!r} is not a member of any network, so cannot change items; {fix}, "
            "or pass --as NAME"
        )
    return Actor(user, network)


def parse_tags(config: Config, values: Iterable[str], *, known_only: bool) -> tuple[str, ...]:
    """Tag ids from `-t` options (each may be `a,b`), lowercased, in order, without repeats.
    With `known_only`, each must be accepted by `[tags]` (UsageError otherwise)."""
    tags = [t.strip().lower() for value in values for t in value.split(",") if t.strip()]
    if not tags:
        raise UsageError("no tag given; pass -t TAG (repeatable)")
    if known_only:
        for tag in tags:
            if config.tags.accepts(tag):
                continue
            if config.tags.allow_other:
                raise UsageError(
                    f"invalid tag {tag!r}: a tag id is made of lowercase letters, digits and '-'"
                )
            raise UsageError(
                f"unknown tag {tag!r}; add it to [tags] in {config.path} or set allow_other = true"
            )
    return tuple(dict.fromkeys(tags))


def resolve_target(config: Config, who: str) -> Target:
    """`--to WHO`: a network id, or a member name (UsageError when neither)."""
    if who in config.networks:
        return Target(who)
    network = config.network_of(who)
    if network is None:
        members = [m for n in config.networks.values() for m in n.members]
        raise UsageError(
            f"unknown network or member {who!r}; networks: {', '.join(config.networks) or 'none'}"
            f"; members: {', '.join(members) or 'none'}"
        )
    return Target(network, who)


class Triage:
    """The actions of one member, each over several ids."""

    def __init__(
        self,
        store: Store,
        actor: Actor,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = store
        self.actor = actor
        self.clock = clock

    def _each(
        self,
        ids: Iterable[int],
        action: Callable[[int], str],
        held_hint: Callable[[int], str],
    ) -> list[Result]:
        results = []
        for item_id in dict.fromkeys(ids):
            try:
                results.append(Result(item_id, True, action(item_id)))
            except HeldError as held:
                results.append(Result(item_id, False, f"{held}; {held_hint(item_id)}"))
            except NotFoundError as missing:
                results.append(Result(item_id, False, str(missing)))
        return results

    @staticmethod
    def _take_it_first(item_id: int) -> str:
        return f"only they can change that — `watchcli claim --force {item_id}` takes it"

    def tag(self, ids: Iterable[int], tags: tuple[str, ...]) -> list[Result]:
        def one(item_id: int) -> str:
            added = self.store.add_tags(item_id, tags, by=self.actor.name, now=self.clock())
            had = [t for t in tags if t not in added]
            if not added:
                return f"#{item_id} already tagged {', '.join(had)}"
            return f"#{item_id} tagged {', '.join(added)}" + (
                f" (already had {', '.join(had)})" if had else ""
            )

        return self._each(ids, one, self._take_it_first)

    def untag(self, ids: Iterable[int], tags: tuple[str, ...]) -> list[Result]:
        def one(item_id: int) -> str:
            removed = self.store.remove_tags(item_id, tags, by=self.actor.name, now=self.clock())
            missing = [t for t in tags if t not in removed]
            if not removed:
                return f"#{item_id} had no tag {', '.join(missing)}"
            return f"#{item_id} untagged {', '.join(removed)}" + (
                f" (had no {', '.join(missing)})" if missing else ""
            )

        return self._each(ids, one, self._take_it_first)

    def assign(self, ids: Iterable[int], target: Target) -> list[Result]:
        def one(item_id: int) -> str:
            changed, _ = self.store.assign(
                item_id,
                network=target.network,
                assignee=target.assignee,
                by=self.actor.name,
                now=self.clock(),
            )
            return f"#{item_id} {'assigned' if changed else 'already assigned'} to {target}"

        return self._each(ids, one, self._take_it_first)

    def unassign(self, ids: Iterable[int]) -> list[Result]:
        def one(item_id: int) -> str:
            changed, before = self.store.assign(
                item_id, network=None, assignee=None, by=self.actor.name, now=self.clock()
            )
            if not changed:
                return f"#{item_id} was not assigned"
            was = Target(before["network"], before["assignee"]) if before["network"] else None
            return f"#{item_id} unassigned" + (f" (was {was})" if was else "")

        return self._each(ids, one, self._take_it_first)

    def claim(self, ids: Iterable[int], *, force: bool) -> list[Result]:
        me = Target(self.actor.network, self.actor.name)

        def one(item_id: int) -> str:
            changed, before = self.store.claim(
                item_id,
                by=self.actor.name,
                network=self.actor.network,
                force=force,
                now=self.clock(),
            )
            if not changed:
                return f"#{item_id} is already yours"
            if before["assignee"]:
                return f"#{item_id} claimed by {me}, taken from {before['assignee']} (--force)"
            return f"#{item_id} claimed by {me}"

        return self._each(ids, one, lambda item_id: "use --force to take it")

    def set_status(self, ids: Iterable[int], status: Status) -> list[Result]:
        word = "reopened" if status is Status.NEW else status.value

        def one(item_id: int) -> str:
            changed = self.store.set_status(
                item_id, status.value, by=self.actor.name, now=self.clock()
            )
            if changed:
                return f"#{item_id} {word}"
            return f"#{item_id} is already {status.value}"

        return self._each(ids, one, self._take_it_first)

    def note(self, item_id: int, text: str) -> list[Result]:
        clean = clean_text(text, multiline=True)
        if not clean:
            raise UsageError(f'empty note; write it after the id: watchcli note {item_id} "..."')

        def one(item_id: int) -> str:
            self.store.add_note(item_id, clean, by=self.actor.name, now=self.clock())
            return f"#{item_id} note added"

        return self._each([item_id], one, self._take_it_first)
