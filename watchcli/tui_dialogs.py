"""The triage screen's dialogs (`tui.py`): a list to pick from with fuzzy completion, a line
of text, the keys. They receive labels already translated and return what was chosen; text
from feeds or the configuration only reaches them as `rich.text.Text`, never as markup."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.fuzzy import Matcher
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from watchcli.text import clean_text


class Picker(ModalScreen[str | None]):
    """A list to choose from, narrowed by fuzzy completion as one types; Enter picks the
    highlighted entry, Escape gives up."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss_none", show=False)]

    def __init__(
        self,
        title: str,
        options: Sequence[tuple[str, str]],
        hint: str,
        *,
        typed: Callable[[str], tuple[str, str] | None] | None = None,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.choices = list(options)  # (value, label)
        self.hint = hint
        self.typed = typed  # what the query itself offers, when it is a valid new value

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(self.title_text, style="bold"))
            yield Input(placeholder=self.hint, id="query")
            yield OptionList(id="choices")

    def on_mount(self) -> None:
        self._show("")
        self.query_one(Input).focus()

    def _show(self, query: str) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        matcher = Matcher(query)
        scored = [
            (matcher.match(f"{value} {label}") if query else 1.0, n, value, label)
            for n, (value, label) in enumerate(self.choices)
        ]
        ranked = sorted((s for s in scored if s[0] > 0), key=lambda s: (-s[0], s[1]))
        offered = self.typed(query) if self.typed and query else None
        if offered and offered[0] not in {value for value, _ in self.choices}:
            ranked.append((0.0, len(ranked), *offered))
        options.add_options(
            Option(Text(clean_text(f"{value} — {label}" if label else value)), id=value)
            for _, _, value, label in ranked
        )
        if ranked:
            options.highlighted = 0

    def on_input_changed(self, event: Input.Changed) -> None:
        self._show(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is None:
            return
        self.dismiss(options.get_option_at_index(options.highlighted).id)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def on_key(self, event) -> None:  # type: ignore[no-untyped-def]
        # Up and down move in the list while the cursor stays in the query.
        options = self.query_one(OptionList)
        if event.key in ("down", "up") and options.option_count:
            step = 1 if event.key == "down" else -1
            current = options.highlighted or 0
            options.highlighted = max(0, min(options.option_count - 1, current + step))
            event.stop()

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


class Prompt(ModalScreen[str | None]):
    """One line of text (a note, a search); Enter gives it, Escape gives up."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss_none", show=False)]

    def __init__(self, title: str, value: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(self.title_text, style="bold"))
            yield Input(value=self.value, id="text")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


class Help(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", show=False),
        Binding("q", "close", show=False),
        Binding("question_mark", "close", show=False),
    ]

    def __init__(self, title: str, rows: list[tuple[str, str]], footer: str) -> None:
        super().__init__()
        self.title_text = title
        self.rows = rows
        self.footer = footer

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        for key, what in self.rows:
            table.add_row(Text(key), Text(what))
        with Vertical(id="dialog"):
            yield Static(Text(self.title_text, style="bold"))
            yield Static(table)
            yield Static(Text(self.footer, style="dim"))

    def action_close(self) -> None:
        self.dismiss(None)
