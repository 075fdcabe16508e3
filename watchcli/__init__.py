"""watchcli: one shared news watch for several networks, in the terminal."""

__version__ = "0.1.0"
PROJECT_URL = "https://github.com/watchcli/watchcli"
USER_AGENT = f"watchcli/{__version__} (+{PROJECT_URL})"
