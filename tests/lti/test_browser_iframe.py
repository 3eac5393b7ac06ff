"""In Chromium: a student opens the activity on the LMS's page, which embeds the tool in an
iframe; the launch runs inside the frame, the exercise shows there (the tool allows the LMS to
frame it), the answers are graded in place, and the score reaches the LMS."""

from __future__ import annotations

from tests.lti.conftest import GOOD, launch_class, person, wait_until
from tests.lti.platform import Message


def test_student_launches_inside_the_lms_iframe_and_is_graded_there(
    chromium,
    artifacts,
    platform,
    tool_url,
    celery_worker,
):
    context, link = launch_class(platform, tool_url)
    learner = person("student")
    browser = chromium.new_context(locale="en-US")
    try:
        page = browser.new_page()
        page.set_default_timeout(20_000)
        blocked: list[str] = []
        page.on(
            "console", lambda m: blocked.append(m.text) if "frame-ancestors" in m.text else None
        )
        page.goto(platform.course_page(Message(learner, context_id=context, resource_link_id=link)))
        frame = page.frame_locator("#tool")
        frame.locator("#graph[data-state='drawn'] svg").wait_for()
        assert "One weight, one example" in frame.locator("h1").first.inner_text()
        for blank, text in GOOD.items():
            frame.locator(f'input[name="{blank}"]').fill(text)
        frame.locator("#submit-answers").click()
        frame.locator('#attempt-status[data-status="graded"]').wait_for()
        assert (
            frame.locator('output[data-blank="new.v"]').get_attribute("data-verdict") == "correct"
        )
        assert not blocked, blocked
        page.screenshot(path=str(artifacts / "lti-iframe.png"), full_page=True)
    finally:
        browser.close()
    score = wait_until(lambda: platform.posts_for(learner.sub), what="the score in the LMS")
    assert score[-1]["scoreGiven"] == 5
