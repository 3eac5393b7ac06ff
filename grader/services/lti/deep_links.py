"""Deep linking: the exercises an instructor may place in the LMS's course, and the resource
link each becomes there, with its line item (label, points) and the exercise named in its
custom parameters."""

from __future__ import annotations

from dataclasses import dataclass

from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.lineitem import LineItem
from sqlalchemy.orm import Session

from grader.db import Course
from grader.services import gradebook
from grader.services.errors import NotFound
from grader.services.exercises import offered
from grader.services.lti.lineitems import TAG


@dataclass(frozen=True)
class Choice:
    """An exercise the course offers, as the picker lists it."""

    slug: str
    title: str
    worth: float


def choices(session: Session, course: Course) -> list[Choice]:
    return [
        Choice(
            exercise.slug,
            exercise.title or exercise.slug,
            gradebook.worth_of(session, exercise, settings),
        )
        for exercise, settings in offered(session, course)
    ]


def resource(session: Session, course: Course, slug: str, launch_url: str) -> DeepLinkResource:
    """The resource link for the chosen exercise (refused unless the course offers it)."""
    found = {choice.slug: choice for choice in choices(session, course)}
    choice = found.get(slug)
    if choice is None:
        raise NotFound(f"the course offers no exercise '{slug[:64]}'")
    lineitem = (
        LineItem()
        .set_label(choice.title)
        .set_score_maximum(choice.worth)
        .set_resource_id(choice.slug)
        .set_tag(TAG)
    )
    return (
        DeepLinkResource()
        .set_url(launch_url)
        .set_title(choice.title)
        .set_custom_params({"exercise": choice.slug})
        .set_lineitem(lineitem)
    )
