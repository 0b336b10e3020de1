"""The debug tests use the admin tests' app in login mode and the fake provider servers."""

from tests.admin.conftest import admin  # noqa: F401  (the fixture)
from tests.fakes.fixtures import *  # noqa: F403
