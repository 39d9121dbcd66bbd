"""Real agents behind the widget, in Chromium: SmolLM2 through llama.cpp's OpenAI-compatible
server, and the AG-UI test agent (tests/support/agent_servers). Nothing is mocked."""

from __future__ import annotations

import statistics

import httpx
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import ServerFactory
from tests.browser.test_widget import dislike, like, new_chat, send
from tests.support.agents import LLAMA_API_KEY, LLAMA_MODEL_NAME, AgentProcess


def test_a_real_model_streams_a_reply_that_then_takes_feedback(
    page: Page, start_server: ServerFactory, llama: AgentProcess
) -> None:
    model = {
        "type": "openai",
        "base_url": f"{llama.url}/v1",
        "model": LLAMA_MODEL_NAME,
        "api_key": LLAMA_API_KEY,
        "max_tokens": 60,
        "temperature": 0,
    }
    server = start_server(agent=model)
    session_id = new_chat(page, server)
    send(page, "Write three sentences about lighthouses.")

    reply = page.locator(".bubble.agent").last
    # Text arrives while the reply is still running, with Stop and without Like/Dislike.
    expect(reply.locator(".markdown")).not_to_be_empty(timeout=30_000)
    expect(reply).to_have_attribute("data-status", "running")
    expect(reply.get_by_role("button", name="Stop")).to_be_visible()
    assert like(page).count() == 0 and dislike(page).count() == 0

    expect(reply).to_have_attribute("data-status", "completed", timeout=60_000)
    assert len(reply.locator(".markdown").inner_text().split()) >= 5
    like(page).click()
    dialog = page.get_by_role("dialog", name="Provide Feedback")
    dialog.get_by_role("textbox", name="Comment").fill("Nice and short.")
    dialog.get_by_role("button", name="Submit").click()
    expect(page.get_by_text("Feedback submitted")).to_be_visible()
    expect(like(page)).to_have_attribute("aria-pressed", "true")

    tasks = httpx.get(f"{server}/api/v1/sessions/{session_id}/tasks", timeout=10).json()
    assert [(t["model"], t["agent_type"], t["status"]) for t in tasks] == [
        (LLAMA_MODEL_NAME, "openai", "completed")
    ]


def test_stop_from_the_keyboard_cancels_the_upstream_and_keeps_the_text(
    page: Page, start_server: ServerFactory, agui_agent: AgentProcess
) -> None:
    server = start_server(agent={"type": "agui", "url": agui_agent.url})
    session_id = new_chat(page, server)
    send(page, "slow please")
    reply = page.locator(".bubble.agent").last
    expect(reply.locator(".markdown")).to_contain_text("part 2")

    stop = reply.get_by_role("button", name="Stop")
    stop.focus()
    # Streamed updates replace the bubble; focus stays on its Stop button (same id).
    expect(reply.locator(".markdown")).to_contain_text("part 5")
    expect(page.locator(":focus")).to_have_attribute("data-stop", "")
    page.keyboard.press("Enter")

    expect(reply).to_have_attribute("data-status", "cancelled")
    expect(reply.get_by_text("Stopped before the reply finished.")).to_be_visible()
    expect(reply.locator(".markdown")).to_contain_text("Working on it… part 0")
    assert like(page).count() == 0 and dislike(page).count() == 0
    expect(reply.get_by_role("button", name="Retry")).to_be_visible()
    assert agui_agent.seen()["disconnected"] == 1
    tasks = httpx.get(f"{server}/api/v1/sessions/{session_id}/tasks", timeout=10).json()
    assert [t["status"] for t in tasks] == ["cancelled"]


def test_a_failure_shows_its_message_and_retry_sends_the_message_again(
    page: Page, start_server: ServerFactory, agui_agent: AgentProcess
) -> None:
    server = start_server(agent={"type": "agui", "url": agui_agent.url})
    new_chat(page, server)
    send(page, "an error please")
    failed = page.locator(".bubble.agent").last
    expect(failed.get_by_role("alert")).to_have_text(
        "The agent reported an error: The weather service answered 503."
    )
    assert like(page).count() == 0
    failed.get_by_role("button", name="Retry").click()
    expect(page.locator(".user-text")).to_have_text(["an error please", "an error please"])
    expect(page.locator(".bubble.agent").last.get_by_role("alert")).to_be_visible()
    assert len(agui_agent.seen()["inputs"]) == 2


def test_code_is_highlighted_and_copy_puts_it_on_the_clipboard(
    page: Page, context: BrowserContext, start_server: ServerFactory, agui_agent: AgentProcess
) -> None:
    server = start_server(agent={"type": "agui", "url": agui_agent.url})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    new_chat(page, server)
    send(page, "code please")
    block = page.locator(".code-block")
    expect(block).to_be_visible(timeout=10_000)
    keyword = block.locator("span.k").first
    expect(keyword).to_have_text("def")
    # Coloured by /static/code.css (Pygments' default style: keywords #008000, bold).
    assert keyword.evaluate("el => getComputedStyle(el).color") == "rgb(0, 128, 0)"

    block.get_by_role("button", name="Copy").click()
    expect(block.get_by_role("button", name="Copied")).to_be_visible()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == 'def greet(name):\n    return f"hi {name}"\n'
    expect(block.get_by_role("button", name="Copy")).to_be_visible()  # and it resets


def test_controls_appear_soon_after_the_last_token(
    page: Page, start_server: ServerFactory, agui_agent: AgentProcess
) -> None:
    """The upstream's last token to Like/Dislike visible: p50 over 20 replies, goal 150 ms."""
    server = start_server(agent={"type": "agui", "url": agui_agent.url})
    new_chat(page, server)
    page.evaluate(
        """() => {
          window.__controlsShown = [];
          new MutationObserver(() => {
            const shown = document.querySelectorAll(".feedback").length;
            while (window.__controlsShown.length < shown) window.__controlsShown.push(Date.now());
          }).observe(document.body, { childList: true, subtree: true });
        }"""
    )
    for n in range(20):
        send(page, f"Question {n}")
        expect(page.locator(".feedback")).to_have_count(n + 1, timeout=10_000)
    shown: list[float] = page.evaluate("window.__controlsShown")
    sent = agui_agent.seen()["last_text_ms"]
    latencies = [after - before for before, after in zip(sent, shown, strict=True)]
    p50 = statistics.median(latencies)
    print(f"last token -> controls visible: p50 {p50:.0f} ms, max {max(latencies):.0f} ms")
    assert all(latency > 0 for latency in latencies)
    assert p50 <= 150
