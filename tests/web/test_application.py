"""The app's Flask class: each hook and view is asked once whether it is a coroutine."""

from __future__ import annotations

import pytest

from grader.web import create_app


@pytest.fixture
def bare_app(tmp_path):
    return create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'grader.db'}",
            "SECRET_KEY": "test",
            "INSTANCE_DIR": str(tmp_path),
        }
    )


def test_a_plain_function_is_called_as_it_is_and_remembered(bare_app):
    def hook():
        return "done"

    assert bare_app.ensure_sync(hook) is hook
    assert hook in bare_app.plain_functions
    assert bare_app.ensure_sync(hook) is hook


def test_a_coroutine_function_is_still_wrapped_as_flask_wraps_it(bare_app):
    """Flask runs an ``async def`` view through ``async_to_sync`` (here without asgiref
    installed: the error Flask gives for that), every time, and never as it is."""

    async def view():
        return "done"

    for _ in range(2):
        with pytest.raises(RuntimeError, match="async"):
            bare_app.ensure_sync(view)
    assert view not in bare_app.plain_functions


def test_an_unhashable_callable_is_inspected_each_time(bare_app):
    class Hook:
        __hash__ = None

        def __call__(self):
            return "done"

    hook, known = Hook(), set(bare_app.plain_functions)
    assert bare_app.ensure_sync(hook) is hook
    assert bare_app.plain_functions == known
