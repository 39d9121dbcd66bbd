"""Long chats: the newest turns first, earlier ones on request, each reply rendered once."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from bs4 import BeautifulSoup
from sqlalchemy import select, update

from app.db.models import Task
from tests.support.harness import Harness, HarnessFactory


def parse(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


async def chat_with_turns(harness: Harness, count: int) -> tuple[str, list[str]]:
    session_id = await harness.new_session()
    ids = [
        await harness.completed_task(
            session_id, f"question {n}", id=f"turn-{n:03d}", response_text=f"**answer {n}**"
        )
        for n in range(count)
    ]
    return session_id, ids


def turns(page: BeautifulSoup) -> list[str]:
    return [li["data-task-id"] for li in page.select("li.turn")]


async def test_a_long_chat_shows_its_newest_turns_and_loads_earlier_ones(
    make_harness: HarnessFactory,
) -> None:
    harness = await make_harness(widget={"turns_per_page": 4})
    session_id, ids = await chat_with_turns(harness, 10)

    page = parse((await harness.client.get(f"/chat/{session_id}")).text)
    assert turns(page) == ids[-4:]
    control = page.select_one("li.earlier a.load-earlier")
    assert control is not None and control.text == "Load earlier messages"
    # Without JavaScript it is a link to the page of turns before the first one shown.
    assert parse_qs(urlsplit(control["href"]).query)["before"] == [ids[-4]]

    # With htmx it replaces itself with those turns, under a control for the ones before.
    earlier = await harness.client.get(control["hx-get"], headers={"HX-Request": "true"})
    fragment = parse(earlier.text)
    assert turns(fragment) == ids[2:6]
    more = fragment.select_one("li.earlier a")
    assert more is not None and parse_qs(urlsplit(more["hx-get"]).query)["before"] == [ids[2]]
    first = parse((await harness.client.get(more["hx-get"])).text)
    assert turns(first) == ids[:2] and first.select("li.earlier") == []

    plain = parse((await harness.client.get(control["href"])).text)
    assert turns(plain) == ids[2:6]


async def test_earlier_turns_of_another_chat_are_not_found(harness: Harness) -> None:
    _, ids = await chat_with_turns(harness, 2)
    other = await harness.new_session()
    response = await harness.client.get(f"/chat/{other}/earlier", params={"before": ids[1]})
    assert response.status_code == 404


async def test_a_reply_is_rendered_once_when_it_completes(harness: Harness) -> None:
    session_id, (task_id,) = await chat_with_turns(harness, 1)
    (stored,) = await harness.rows(select(Task.response_html).where(Task.id == task_id))
    assert stored.response_html == "<p><strong>answer 0</strong></p>\n"

    # The page serves what was stored, as long as the same renderer made it...
    await harness.change(
        update(Task).where(Task.id == task_id).values(response_html="<p>as stored</p>")
    )
    page = parse((await harness.client.get(f"/chat/{session_id}")).text)
    assert page.select_one(f"#reply-{task_id} .markdown p").text == "as stored"
    # ...and renders again from the text what an older renderer made.
    await harness.change(update(Task).where(Task.id == task_id).values(html_version="mdit0"))
    page = parse((await harness.client.get(f"/chat/{session_id}")).text)
    assert page.select_one(f"#reply-{task_id} .markdown strong").text == "answer 0"


async def test_a_streamed_reply_is_rendered_at_completion(harness: Harness) -> None:
    session_id = await harness.new_session()
    task = await harness.client.post(
        f"/api/v1/sessions/{session_id}/tasks", json={"id": "live", "request_text": "q"}
    )
    assert task.status_code == 201
    await harness.client.patch("/api/v1/tasks/live", json={"append_text": "# Title\n\n"})
    (running,) = await harness.rows(select(Task.response_html).where(Task.id == "live"))
    assert running.response_html is None
    await harness.client.patch(
        "/api/v1/tasks/live", json={"append_text": "Done.", "status": "completed"}
    )
    (done,) = await harness.rows(select(Task.response_html).where(Task.id == "live"))
    assert done.response_html == "<h1>Title</h1>\n<p>Done.</p>\n"


async def test_the_json_transcript_pages_on_request_and_is_whole_by_default(
    harness: Harness,
) -> None:
    session_id, ids = await chat_with_turns(harness, 5)
    path = f"/api/v1/sessions/{session_id}/tasks"
    whole = await harness.client.get(path)
    assert [t["id"] for t in whole.json()] == ids and "Link" not in whole.headers

    page = await harness.client.get(path, params={"limit": 2})
    assert [t["id"] for t in page.json()] == ids[3:]
    prev = page.headers["Link"]
    assert prev.endswith('>; rel="prev"')
    earlier = await harness.client.get(prev[1 : prev.index(">")])
    assert [t["id"] for t in earlier.json()] == ids[1:3]

    refused = await harness.client.get(path, params={"before": ids[2]})
    assert (refused.status_code, refused.json()["code"]) == (422, "validation_error")
    unknown = await harness.client.get(path, params={"limit": 2, "before": "no-such-turn"})
    assert unknown.status_code == 404
