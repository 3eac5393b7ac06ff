"""A deploy: SIGTERM to ``grader web`` and ``grader worker`` while students submit, then new
processes. No half-written rows, nothing lost, nothing duplicated."""

from __future__ import annotations

import signal
import threading
import time

from tests.faults.stack import assert_nothing_lost, wait_until

GRADED_TIMEOUT = 90.0
STOP_TIMEOUT = 60.0
CLIENTS = 4
STUDENTS_PER_CLIENT = 8


def test_sigterm_of_web_and_worker_under_load_loses_nothing(stack, figures):
    """Clients keep submitting (again with the same Idempotency-Key when no answer came) while
    both processes are stopped gracefully and replaced."""
    web, worker = stack.start(workers=1, web_workers=2, queues="all")
    students = stack.students(CLIENTS * STUDENTS_PER_CLIENT)
    stop = threading.Event()
    accepted: list[dict] = []

    def client(mine):
        n = 0
        while not stop.is_set():
            student = mine[n % len(mine)]
            accepted.append(stack.submit_until_accepted(student, f"{student.email}-{n}", 120))
            n += 1
            time.sleep(0.05)

    threads = [
        threading.Thread(target=client, args=(students[i::CLIENTS],)) for i in range(CLIENTS)
    ]
    for thread in threads:
        thread.start()
    time.sleep(2.0)
    at_term = stack.counts(students[0].course)["statuses"]
    terminated = time.monotonic()
    web.signal(signal.SIGTERM)
    worker.signal(signal.SIGTERM)
    assert web.wait(STOP_TIMEOUT) == 0
    assert worker.wait(STOP_TIMEOUT) == 0
    stopped = time.monotonic() - terminated
    new_web, new_worker = stack.web(2), stack.worker(queues="all")
    stack.wait_web(new_web)
    stack.wait_worker(new_worker)
    serving_again = time.monotonic() - terminated
    time.sleep(2.0)
    stop.set()
    for thread in threads:
        thread.join(120)
    submitted = len(accepted)
    course = students[0].course
    wait_until(lambda: stack.all_graded(course, submitted), GRADED_TIMEOUT, "all graded")
    recovered = time.monotonic() - terminated
    retried = sum(1 for reply in accepted if reply["refusals"])
    counts = assert_nothing_lost(stack, course, submitted)
    assert len({reply["id"] for reply in accepted}) == submitted
    figures.update(
        fault="SIGTERM of web and worker under load (a deploy)",
        submitted=submitted,
        in_flight_at_sigterm=at_term.get("queued", 0) + at_term.get("grading", 0),
        resent_by_clients=retried,
        graded=counts["statuses"]["graded"],
        results=counts["results"],
        lost=0,
        stop_seconds=round(stopped, 1),
        serving_again_seconds=round(serving_again, 1),
        recover_seconds=round(recovered, 1),
    )
