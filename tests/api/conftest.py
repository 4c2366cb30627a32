"""The appeals desk fixture, for tests that probe the API across apps."""

from ..appeals.conftest import desk  # noqa: F401
