"""Deep linking: an instructor adding the tool in the LMS picks an exercise and the LMS gets a
signed resource link with its line item; students launched from it land on that exercise."""

from __future__ import annotations

import uuid

from tests.lti.conftest import Browser, new_context, person
from tests.lti.platform import Message


def test_instructor_picks_an_exercise_and_the_lms_gets_its_resource_link(platform, tool_url):
    context = new_context()
    teacher = Browser()
    picker = teacher.launch(
        platform,
        Message(person("instructor"), context_id=context, resource_link_id=None, deep_link=True),
    )
    assert picker.status_code == 200 and picker.url.endswith("/lti/deep-link/")
    assert 'value="single-weight"' in picker.text and "5 points" in picker.text
    reply = teacher.http.post(
        picker.url,
        data={"csrf_token": teacher.csrf(picker.text), "exercise": "single-weight"},
        timeout=30,
    )
    assert reply.status_code == 200, reply.text[:1000]
    assert f"form-action 'self' {platform.url}" in reply.headers["Content-Security-Policy"]
    action, fields = teacher.form(reply.text, "lti-deep-link-return")
    assert action == f"{platform.url}/deep_link_return"
    items = teacher.http.post(action, data=fields, timeout=30).json()
    assert items == [
        {
            "type": "ltiResourceLink",
            "title": "One weight, one example",
            "url": f"{tool_url}/lti/launch",
            "lineItem": {
                "scoreMaximum": 5.0,
                "label": "One weight, one example",
                "resourceId": "single-weight",
                "tag": "backprop-grader",
            },
            "custom": {"exercise": "single-weight"},
        }
    ]
    link = f"placed-{uuid.uuid4().hex[:6]}"
    student = Browser().launch(
        platform,
        Message(
            person("student"), context_id=context, resource_link_id=link, custom=items[0]["custom"]
        ),
    )
    assert student.status_code == 200 and student.url.endswith("/exercises/single-weight")


def test_the_picker_refuses_an_exercise_the_course_does_not_offer_and_strangers(platform):
    teacher = Browser()
    picker = teacher.launch(
        platform,
        Message(
            person("instructor"), context_id=new_context(), resource_link_id=None, deep_link=True
        ),
    )
    reply = teacher.http.post(
        picker.url, data={"csrf_token": teacher.csrf(picker.text), "exercise": "nope"}, timeout=30
    )
    assert reply.status_code == 422 and "offers no exercise" in reply.text
    stranger = Browser().http.get(picker.url, timeout=30)
    assert stranger.status_code == 403


def test_a_student_cannot_start_deep_linking(platform):
    context = new_context()
    Browser().launch(
        platform,
        Message(person("instructor"), context_id=context, custom={"exercise": "single-weight"}),
    )
    reply = Browser().launch(
        platform,
        Message(person("student"), context_id=context, resource_link_id=None, deep_link=True),
    )
    assert reply.status_code == 403 and "only an instructor" in reply.text
