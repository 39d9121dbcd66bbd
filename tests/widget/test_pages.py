from __future__ import annotations

import json

import pytest
from bs4 import BeautifulSoup

from tests.support import eventually
from tests.support.console import console_config
from tests.support.harness import Harness, HarnessFactory


def parse(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


async def chat_page(harness: Harness, session_id: str, layout: str = "chat") -> BeautifulSoup:
    response = await harness.client.get(f"/{layout}/{session_id}")
    assert response.status_code == 200
    return parse(response.text)


async def wait_for_status(harness: Harness, session_id: str, status: str) -> None:
    async def reached() -> bool:
        tasks = (await harness.client.get(f"/api/v1/sessions/{session_id}/tasks")).json()
        return bool(tasks) and tasks[-1]["status"] == status

    await eventually(reached, what=f"the task to reach {status}")


def thumbs(page: BeautifulSoup, task_id: str) -> list[tuple[str, str, bool]]:
    buttons = page.select(f'[id="controls-{task_id}"] button[data-feedback-open]')
    return [(b.get_text(strip=True), b["aria-pressed"], b.has_attr("disabled")) for b in buttons]


async def test_index_starts_a_chat_and_lists_recent_sessions(harness: Harness) -> None:
    created = await harness.client.post("/chat")
    assert created.status_code == 303
    session_id = created.headers["location"].rsplit("/", 1)[1]
    await harness.client.post(f"/chat/{session_id}/messages", data={"message": "Plan my trip"})
    index = parse((await harness.client.get("/")).text)
    link = index.select_one(f'a[data-session-id="{session_id}"]')
    assert link is not None and link.text == "Plan my trip"
    assert index.select_one('form[action="/chat"] button').text == "New chat"


async def test_chat_page_has_message_box_and_send_button(harness: Harness) -> None:
    session_id = await harness.new_session()
    page = await chat_page(harness, session_id)
    label = page.select_one('label[for="message"]')
    assert label is not None and label.text == "Message"
    assert page.select_one("textarea#message[name=message]") is not None
    assert page.select_one("#composer button[type=submit]").text == "Send"
    assert page.select_one("[sse-connect]")["sse-connect"].startswith(f"/chat/{session_id}/events")


async def test_controls_only_after_completed_responses(harness: Harness) -> None:
    session_id = await harness.new_session()
    done = await harness.completed_task(session_id, "first")
    running = (
        await harness.client.post(
            f"/api/v1/sessions/{session_id}/tasks", json={"request_text": "2"}
        )
    ).json()["id"]
    failed = (
        await harness.client.post(
            f"/api/v1/sessions/{session_id}/tasks", json={"request_text": "3"}
        )
    ).json()["id"]
    await harness.client.patch(
        f"/api/v1/tasks/{failed}", json={"status": "failed", "error": "Boom."}
    )

    page = await chat_page(harness, session_id)

    assert thumbs(page, done) == [("Like", "false", False), ("Dislike", "false", False)]
    assert thumbs(page, running) == []
    assert thumbs(page, failed) == []
    assert page.select_one(f'[id="reply-{failed}"] [role=alert]').text == "Boom."
    assert page.select_one(f'[id="reply-{running}"]')["aria-busy"] == "true"


async def test_submitted_state_survives_reload(harness: Harness) -> None:
    session_id = await harness.new_session()
    task_id = await harness.completed_task(session_id)
    await harness.client.post(
        "/api/v1/feedback",
        json={"taskId": task_id, "sessionId": session_id, "feedbackType": "down"},
    )
    page = await chat_page(harness, session_id)
    assert thumbs(page, task_id) == [("Like", "false", True), ("Dislike", "true", True)]
    assert page.select_one(f'[id="controls-{task_id}"] [role=status]').text == "Feedback submitted"


async def test_feedback_modal_is_labelled(harness: Harness) -> None:
    session_id = await harness.new_session()
    page = await chat_page(harness, session_id)
    dialog = page.select_one("dialog#feedback-dialog")
    title = page.select_one(f"#{dialog['aria-labelledby']}")
    assert title.text == "Provide Feedback"
    assert page.select_one('label[for="feedback-comment"]').text.startswith("Comment")
    assert page.select_one("#feedback-comment")["maxlength"] == "5000"
    assert [b.text for b in dialog.select("button")] == ["Cancel", "Submit"]


async def test_no_controls_anywhere_when_feedback_is_off(make_harness: HarnessFactory) -> None:
    for options in ({"collect": False}, {"service_type": "memory", "database_url": None}):
        harness = await make_harness(**options)
        session_id = await harness.new_session()
        task_id = await harness.completed_task(session_id)
        for layout in ("chat", "embed"):
            page = await chat_page(harness, session_id, layout)
            assert page.select_one(f'[id="reply-{task_id}"]') is not None
            assert page.select("[data-feedback-open], #feedback-dialog, .feedback") == []


async def test_memory_mode_still_chats(make_harness: HarnessFactory) -> None:
    harness = await make_harness(service_type="memory", database_url=None)
    created = await harness.client.post("/chat")
    session_id = created.headers["location"].rsplit("/", 1)[1]
    await harness.client.post(f"/chat/{session_id}/messages", data={"message": "hello memory"})
    await wait_for_status(harness, session_id, "completed")
    page = await chat_page(harness, session_id)
    assert "hello memory" in page.select_one(".markdown blockquote").text


async def test_user_and_agent_text_are_inert(harness: Harness) -> None:
    session_id = await harness.new_session()
    attack = "<img src=x onerror=alert(1)> <script>alert(2)</script> [x](javascript:alert(3))"
    await harness.completed_task(session_id, attack, response_text=attack)
    page = await chat_page(harness, session_id)
    transcript = page.select_one("#transcript")
    assert transcript.select("img, script") == []
    assert all(not a["href"].startswith("javascript:") for a in transcript.select("a[href]"))
    assert all(not name.startswith("on") for tag in transcript.find_all(True) for name in tag.attrs)
    assert "<img src=x onerror=alert(1)>" in transcript.select_one(".user-text").text


async def test_pages_have_no_inline_script_and_allow_framing(harness: Harness) -> None:
    session_id = await harness.new_session()
    await harness.completed_task(session_id)
    for path in ("/", f"/chat/{session_id}", f"/embed/{session_id}"):
        response = await harness.client.get(path)
        assert "x-frame-options" not in response.headers
        page = parse(response.text)
        assert all(script.get("src") for script in page.select("script"))
        assert not [
            name for tag in page.find_all(True) for name in tag.attrs if name.startswith("on")
        ]


async def test_embed_page_has_the_widget_without_chrome(harness: Harness) -> None:
    session_id = await harness.new_session()
    page = await chat_page(harness, session_id, "embed")
    assert page.select_one("body.embed .widget") is not None
    assert page.select_one(".topbar") is None
    assert page.select_one('#composer input[name="layout"]')["value"] == "embed"


async def test_message_form_without_javascript_redirects_back(harness: Harness) -> None:
    session_id = await harness.new_session()
    response = await harness.client.post(
        f"/chat/{session_id}/messages", data={"message": "hi", "layout": "embed"}
    )
    assert response.status_code == 303
    assert response.headers["location"].endswith(f"/embed/{session_id}")


async def test_htmx_message_post_answers_204_naming_the_turn_it_started(
    make_harness: HarnessFactory,
) -> None:
    """The turn reaches the page over the chat's stream (tests/live/test_sse.py), as it reaches
    every other page: the answer carries no copy of it, only the event that resets the composer."""
    harness = await make_harness(stream_seconds=30)
    session_id = await harness.new_session()
    response = await harness.client.post(
        f"/chat/{session_id}/messages",
        data={"message": "hi *there*"},
        headers={"HX-Request": "true"},
    )
    assert (response.status_code, response.content) == (204, b"")
    trigger = json.loads(response.headers["HX-Trigger"])
    task_id = trigger["feedback-widget:sent"]["taskId"]
    assert "X-Task-Id" not in response.headers and "HX-Retarget" not in response.headers
    turn = (await chat_page(harness, session_id)).select_one(f'[id="task-{task_id}"]')
    assert turn is not None and turn.select_one(".user-text").text == "hi *there*"
    assert turn.select_one("[data-status]")["data-status"] == "running"


async def test_empty_message_is_refused_with_a_message(harness: Harness) -> None:
    session_id = await harness.new_session()
    response = await harness.client.post(
        f"/chat/{session_id}/messages", data={"message": "  "}, headers={"HX-Request": "true"}
    )
    assert (response.status_code, response.text) == (422, "Type a message before sending.")


async def test_feedback_form_htmx_answer_is_204_and_the_event_that_closes_the_dialog(
    harness: Harness,
) -> None:
    """The locked controls reach the page over the stream only (tests/live/test_sse.py)."""
    session_id = await harness.new_session()
    task_id = await harness.completed_task(session_id)
    form = {"task_id": task_id, "rating": "up", "comment": "Clear and short"}
    response = await harness.client.post(
        f"/chat/{session_id}/feedback", data=form, headers={"HX-Request": "true"}
    )
    assert (response.status_code, response.content) == (204, b"")
    assert json.loads(response.headers["HX-Trigger"]) == {
        "feedback-widget:submitted": {"taskId": task_id, "rating": "up"}
    }
    assert "HX-Retarget" not in response.headers and "HX-Reswap" not in response.headers
    page = await chat_page(harness, session_id)
    assert thumbs(page, task_id) == [("Like", "true", True), ("Dislike", "false", True)]
    again = await harness.client.post(
        f"/chat/{session_id}/feedback", data=form, headers={"HX-Request": "true"}
    )
    assert (again.status_code, again.text) == (
        409,
        "Feedback has already been submitted for this response.",
    )
    stored = (await harness.client.get("/api/v1/feedback")).json()
    assert [(row["rating"], row["comment"]) for row in stored] == [("up", "Clear and short")]


async def test_feedback_form_without_javascript_stores_rating_and_redirects(
    harness: Harness,
) -> None:
    session_id = await harness.new_session()
    task_id = await harness.completed_task(session_id)
    response = await harness.client.post(
        f"/chat/{session_id}/feedback",
        data={"task_id": task_id, "rating": "down", "layout": "chat"},
    )
    assert response.status_code == 303
    page = await chat_page(harness, session_id)
    assert thumbs(page, task_id)[1] == ("Dislike", "true", True)


async def test_every_page_carries_the_security_headers(make_harness: HarnessFactory) -> None:
    harness = await make_harness(embed={"allowed_origins": ["https://host.example"]})
    session_id = await harness.new_session()
    for path in ("/", f"/chat/{session_id}", f"/embed/{session_id}", "/chat/missing"):
        response = await harness.client.get(path)
        policy = response.headers["Content-Security-Policy"]
        directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
        assert directives["script-src"] == "'self'"
        assert directives["frame-ancestors"] == "'self' https://host.example"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert "X-Frame-Options" not in response.headers
    api = await harness.client.get("/api/v1/config")
    assert api.headers["X-Content-Type-Options"] == "nosniff"


async def test_frame_ancestors_default_to_self(harness: Harness) -> None:
    session_id = await harness.new_session()
    policy = (await harness.client.get(f"/embed/{session_id}")).headers["Content-Security-Policy"]
    assert "frame-ancestors 'self';" in policy + ";"


async def test_events_go_only_to_an_allowed_parent_origin(make_harness: HarnessFactory) -> None:
    harness = await make_harness(embed={"allowed_origins": ["https://host.example"]})
    session_id = await harness.new_session()

    async def parent_of(origin: str) -> str | None:
        page = await chat_page_with(harness, f"/embed/{session_id}?parent_origin={origin}")
        value = page.select_one(".widget").get("data-parent-origin")
        return str(value) if value else None

    assert await parent_of("https://host.example") == "https://host.example"
    assert await parent_of("https://evil.example") is None
    assert await parent_of("*") is None


async def chat_page_with(harness: Harness, path: str) -> BeautifulSoup:
    response = await harness.client.get(path)
    assert response.status_code == 200
    return parse(response.text)


async def test_demo_host_page_mounts_through_embed_js(make_harness: HarnessFactory) -> None:
    harness = await make_harness()
    page = await chat_page_with(harness, "/demo/host")
    sources = [str(script["src"]).partition("?")[0] for script in page.select("script")]
    assert sources == ["/static/embed.js", "/static/demo-host.js"]
    assert page.select_one("#chat") is not None
    token_mode = await make_harness(auth={"mode": "token", "secret": "k" * 40})
    assert (await token_mode.client.get("/demo/host")).status_code == 404


async def test_me_describes_the_credential(harness: Harness) -> None:
    answer = (await harness.client.get("/api/v1/me")).json()
    assert answer["user_id"] == "dev_user" and answer["kind"] == "dev"
    assert answer["source"] == "customer"


@pytest.mark.parametrize(
    ("origin", "status"),
    [
        (None, 204),  # not a browser, or a browser that sends no Origin on same-site posts
        ("http://testserver", 204),
        ("https://host.example", 204),  # an allowed embedding site
        ("https://evil.example", 403),
        ("null", 403),
    ],
)
async def test_cross_site_form_posts_are_refused(
    make_harness: HarnessFactory, origin: str | None, status: int
) -> None:
    harness = await make_harness(embed={"allowed_origins": ["https://host.example"]})
    session_id = await harness.new_session()
    headers = {"HX-Request": "true", **({"Origin": origin} if origin else {})}
    response = await harness.client.post(
        f"/chat/{session_id}/messages", data={"message": "hi"}, headers=headers
    )
    assert response.status_code == status
    if status == 403:
        assert response.text == "Cross-site form posts are refused."


def theme_of(page: BeautifulSoup) -> tuple[str, str]:
    """The page's theme class and the colour schemes it declares."""
    classes = page.body["class"] if page.body else []
    theme = next(name for name in classes if name.startswith("theme-"))
    meta = page.select_one('meta[name="color-scheme"]')
    return theme, str(meta["content"]) if meta else ""


async def test_the_theme_follows_the_reader_unless_config_or_url_forces_one(
    make_harness: HarnessFactory,
) -> None:
    auto = await make_harness(**console_config())
    session_id = await auto.new_session()
    for path in ("/", f"/chat/{session_id}", f"/embed/{session_id}", "/admin/login"):
        assert theme_of(await chat_page_with(auto, path)) == ("theme-auto", "light dark"), path
    forced = await chat_page_with(auto, f"/embed/{session_id}?theme=dark")
    assert theme_of(forced) == ("theme-dark", "dark")
    nonsense = await chat_page_with(auto, f"/chat/{session_id}?theme=purple")
    assert theme_of(nonsense) == ("theme-auto", "light dark")

    dark = await make_harness(widget={"theme": "dark"}, **console_config())
    session_id = await dark.new_session()
    assert theme_of(await chat_page_with(dark, f"/chat/{session_id}")) == ("theme-dark", "dark")
    assert theme_of(await chat_page_with(dark, "/admin/login")) == ("theme-dark", "dark")
    light = await chat_page_with(dark, f"/embed/{session_id}?theme=light")
    assert theme_of(light) == ("theme-light", "light")


async def test_reasons_show_their_label_in_the_pages_language_and_post_their_id(
    make_harness: HarnessFactory,
) -> None:
    reasons = {
        "up": ["Accurate", "Clear"],
        "down": ["Wrong"],
        "labels": {"Accurate": {"en": "Accurate", "de": "Zutreffend"}, "Wrong": "Incorrect"},
    }
    harness = await make_harness(feedback_reasons=reasons)
    session_id = await harness.new_session()
    german = parse((await harness.client.get(f"/chat/{session_id}?lang=de")).text)
    chips = {
        str(box["value"]): box.find_next_sibling("span").text
        for box in german.select("#feedback-dialog input[name=reasons]")
    }
    assert chips == {"Accurate": "Zutreffend", "Clear": "Clear", "Wrong": "Incorrect"}
    assert german.select_one("#feedback-dialog-title").text == "Feedback geben"
    french = parse((await harness.client.get(f"/chat/{session_id}?lang=fr")).text)
    labels = [span.text for span in french.select("#feedback-dialog .chip span")]
    assert labels == ["Accurate", "Clear", "Incorrect"]  # no French label: the English one


async def test_a_reply_says_its_copy_button_in_the_pages_language(harness: Harness) -> None:
    session_id = await harness.new_session()
    reply = "```python\nprint(1)\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |"
    await harness.client.post(f"/chat/{session_id}/messages", data={"message": reply})
    await wait_for_status(harness, session_id, "completed")  # the echo agent says it back
    page = parse((await harness.client.get(f"/chat/{session_id}?lang=ja")).text)
    assert page.select_one("button[data-copy]").text == "コピー"
    assert page.select_one(".table-scroll")["aria-label"] == "表"
    assert page.select_one(".bubble.agent .markdown")["dir"] == "auto"
    assert page.select_one(".bubble.user .user-text")["dir"] == "auto"
