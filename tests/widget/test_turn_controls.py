"""Stop and Retry on widget turns: who may use them, on which turns, and what the page shows
(with the echo agent; the protocol agents' stops are in test_agent_protocols.py)."""

from __future__ import annotations

import time

import jwt
from bs4 import BeautifulSoup

from app.identity import DEV_SCOPES, Identity
from app.transcripts import turns
from tests.support.agent_turns import (
    HTMX,
    finished,
    first_text,
    new_chat,
    reply_on_page,
    send,
    started_turn,
    stop,
)
from tests.support.harness import Harness, HarnessFactory

SECRET = "t" * 48


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


async def page(harness: Harness, session_id: str) -> BeautifulSoup:
    response = await harness.client.get(f"/chat/{session_id}")
    assert response.status_code == 200
    return soup(response.text)


async def test_a_streaming_reply_has_a_stop_form_and_no_feedback(
    make_harness: HarnessFactory,
) -> None:
    harness = await make_harness(stream_seconds=30)
    session_id = await new_chat(harness)
    task_id = await send(harness, session_id, "hello")
    reply = (await page(harness, session_id)).select_one(f"#reply-{task_id}")
    assert reply is not None
    form = reply.select_one("form.turn-control")
    assert form is not None and form["method"] == "post"
    assert form["action"] == f"/chat/{session_id}/tasks/{task_id}/stop"
    button = form.select_one("button[type=submit][data-stop]")
    assert button is not None and button.get_text(strip=True) == "Stop"
    assert reply.select_one(".feedback") is None


async def test_stop_keeps_the_text_so_far_and_offers_retry_not_feedback(
    make_harness: HarnessFactory,
) -> None:
    harness = await make_harness(stream_seconds=20)
    session_id = await new_chat(harness)
    task_id = await send(harness, session_id, "tell me everything")
    so_far = await first_text(harness, task_id)
    await stop(harness, session_id, task_id)
    done = await finished(harness, task_id)

    assert done.status == "cancelled"
    assert done.response_text.startswith(so_far.response_text)
    reply = (await page(harness, session_id)).select_one(f"#reply-{task_id}")
    assert reply is not None
    assert reply["data-status"] == "cancelled"
    assert reply.select_one("[data-stopped]").get_text(strip=True) == (  # type: ignore[union-attr]
        "Stopped before the reply finished."
    )
    assert reply.select_one(".markdown") is not None  # the partial text is still shown
    assert reply.select_one(".feedback") is None and reply.select_one("[data-stop]") is None
    assert reply.select_one("[data-retry]") is not None
    # Feedback on it is refused, as on any reply that did not complete.
    refused = await harness.client.post(
        f"/chat/{session_id}/feedback", data={"task_id": task_id, "rating": "up"}, headers=HTMX
    )
    assert refused.status_code == 409
    # A second stop changes nothing.
    again = await harness.client.post(f"/chat/{session_id}/tasks/{task_id}/stop", headers=HTMX)
    assert again.status_code == 204
    assert (await reply_on_page(harness, session_id, task_id))["data-status"] == "cancelled"


async def test_retry_sends_the_same_message_again_as_a_new_turn(
    make_harness: HarnessFactory,
) -> None:
    harness = await make_harness(stream_seconds=0.05)
    session_id = await new_chat(harness)
    failed_id = await send(harness, session_id, "/fail now")
    assert (await finished(harness, failed_id)).status == "failed"
    reply = (await page(harness, session_id)).select_one(f"#reply-{failed_id}")
    assert reply is not None and reply.select_one("[data-retry]") is not None

    response = await harness.client.post(
        f"/chat/{session_id}/tasks/{failed_id}/retry", data={}, headers=HTMX
    )
    new_id = started_turn(response)
    assert new_id != failed_id
    assert (await finished(harness, new_id)).request_text == "/fail now"
    turns_shown = (await page(harness, session_id)).select("li.turn")
    assert [turn["id"] for turn in turns_shown] == [f"task-{failed_id}", f"task-{new_id}"]
    assert turns_shown[1].select_one(".user-text").get_text() == "/fail now"  # type: ignore[union-attr]


async def test_retry_of_a_completed_reply_is_a_new_rated_turn_that_names_the_one_it_retries(
    make_harness: HarnessFactory,
) -> None:
    harness = await make_harness(stream_seconds=0.05)
    session_id = await new_chat(harness)
    first_id = await send(harness, session_id, "fine")
    assert (await finished(harness, first_id)).status == "completed"
    reply = (await page(harness, session_id)).select_one(f"#reply-{first_id}")
    assert reply is not None and reply.select_one(".feedback") is not None
    button = reply.select_one("button[data-retry]")
    assert button is not None and button.get_text(strip=True) == "Retry"

    response = await harness.client.post(f"/chat/{session_id}/tasks/{first_id}/retry", headers=HTMX)
    again_id = started_turn(response)
    again = await finished(harness, again_id)
    assert again.retry_of == first_id and again.request_text == "fine"
    shown = (await page(harness, session_id)).select("li.turn")
    assert [turn["id"] for turn in shown] == [f"task-{first_id}", f"task-{again_id}"]
    # Each answer is its own task: each takes its own rating.
    for task_id, rating in ((first_id, "down"), (again_id, "up")):
        rated = await harness.client.post(
            f"/chat/{session_id}/feedback",
            data={"task_id": task_id, "rating": rating},
            headers=HTMX,
        )
        assert rated.status_code == 204, rated.text
    transcript = await harness.client.get(f"/api/v1/sessions/{session_id}/tasks")
    assert transcript.status_code == 200, transcript.text
    body = transcript.json()
    tasks = body if isinstance(body, list) else body["tasks"]
    assert [(task["id"], task["retry_of"]) for task in tasks] == [
        (first_id, None),
        (again_id, first_id),
    ]


async def test_a_running_turn_cannot_be_retried(make_harness: HarnessFactory) -> None:
    harness = await make_harness(stream_seconds=30)
    session_id = await new_chat(harness)
    task_id = await send(harness, session_id, "hello")
    refused = await harness.client.post(f"/chat/{session_id}/tasks/{task_id}/retry", headers=HTMX)
    assert refused.status_code == 409 and "only a finished turn" in refused.text


async def test_without_javascript_stop_and_retry_redirect_back_to_the_chat(
    make_harness: HarnessFactory,
) -> None:
    harness = await make_harness(stream_seconds=20)
    session_id = await new_chat(harness)
    task_id = await send(harness, session_id, "hello")
    stopped = await harness.client.post(
        f"/chat/{session_id}/tasks/{task_id}/stop", data={"layout": "embed"}
    )
    assert stopped.status_code == 303
    assert stopped.headers["location"] == f"/embed/{session_id}"
    retried = await harness.client.post(f"/chat/{session_id}/tasks/{task_id}/retry")
    assert retried.status_code == 303
    assert (await finished(harness, task_id)).status == "cancelled"


async def test_a_stop_with_no_job_here_is_recorded(make_harness: HarnessFactory) -> None:
    """The turn's agent runs in another instance (here: none runs it at all)."""
    harness = await make_harness()
    session_id = await new_chat(harness)
    owner = Identity(user_id="dev_user", scopes=DEV_SCOPES)
    task, _ = await turns.start_turn(
        harness.services.writer,
        owner,
        session_id=session_id,
        text="elsewhere",
        agent_id="Echo agent",
        agent_type="echo",
        model=None,
        history_turns=0,
        topic="agent/x/request",
    )
    await stop(harness, session_id, task.id)
    assert (await finished(harness, task.id)).status == "cancelled"
    assert (await reply_on_page(harness, session_id, task.id)).select_one("[data-stopped]")


async def test_pushed_turns_and_other_peoples_turns_cannot_be_stopped_or_retried(
    make_harness: HarnessFactory,
) -> None:
    keys = [{"name": "platform", "key": "platform-key-0123456789", "scopes": ["transcripts:write"]}]
    harness = await make_harness(auth={"mode": "token", "secret": SECRET, "api_keys": keys})
    platform = {"X-API-Key": "platform-key-0123456789"}
    alice = jwt.encode({"sub": "alice", "exp": int(time.time()) + 300}, SECRET)
    bob = jwt.encode({"sub": "bob", "exp": int(time.time()) + 300}, SECRET)
    created = await harness.client.post(
        "/api/v1/sessions", json={"user_id": "alice"}, headers=platform
    )
    session_id = created.json()["id"]
    pushed = await harness.client.post(
        f"/api/v1/sessions/{session_id}/tasks", json={"request_text": "q"}, headers=platform
    )
    task_id = pushed.json()["id"]

    as_alice = {"Authorization": f"Bearer {alice}", **HTMX}
    for action in ("stop", "retry"):
        own = await harness.client.post(
            f"/chat/{session_id}/tasks/{task_id}/{action}", headers=as_alice
        )
        assert own.status_code == 409, own.text
        assert "run by the agent platform" in own.text
        other = await harness.client.post(
            f"/chat/{session_id}/tasks/{task_id}/{action}",
            headers={"Authorization": f"Bearer {bob}", **HTMX},
        )
        assert other.status_code == 404
    # The platform's turn runs on: it finishes as the platform says.
    done = await harness.client.patch(
        f"/api/v1/tasks/{task_id}",
        json={"status": "completed", "response_text": "a"},
        headers=platform,
    )
    assert done.status_code == 200
