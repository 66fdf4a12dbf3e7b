"""FastAPI dependencies shared by every service: the settings and runtime `create_app` put on `app.state`.

Each service declares its own typed aliases in one line, so routes keep precise types without repeating
a pair of getter functions per service:

    SettingsDep = Annotated[EmbeddingsSettings, Depends(app_state("settings"))]
"""

from collections.abc import Callable
from functools import cache
from typing import Any

from fastapi import Request

STATE_ATTRIBUTES = ("settings", "runtime")  # what create_app stores


@cache
def app_state(attribute: str) -> Callable[[Request], Any]:
    """A dependency returning `request.app.state.<attribute>`; one function per attribute (cached), so
    `app.dependency_overrides[app_state("runtime")]` works in tests."""
    if attribute not in STATE_ATTRIBUTES:
        raise ValueError(f"create_app stores {STATE_ATTRIBUTES} on app.state, not {attribute!r}")

    def dependency(request: Request) -> Any:
        return getattr(request.app.state, attribute)

    dependency.__name__ = f"get_{attribute}"
    return dependency
