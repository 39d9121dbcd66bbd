"""An embedded widget whose token expires: the stream says so, the host is asked for a fresh
token, and with it the widget resumes where it stopped, without a reload or a lost event.
The console's stream ends with the operator's session, and the page goes to sign in."""

from __future__ import annotations

import json
import time

import httpx
import jwt
from playwright.sync_api import Page, Request, Response, expect

from tests.browser.conftest import ServerFactory
from tests.browser.host_site import HostSite
from tests.support.console import OPERATOR_KEY, console_config
from tests.support.console import SECRET as CONSOLE_SECRET

SECRET = "token-refresh-secret-" + "r" * 44
PUSH_KEY = "push-key-for-refresh-tests"
QUIET_SECONDS = 4  # longer than EventSource's own reconnect delay (3 s in Chromium)


def mint(session_id: str, ttl: int) -> str:
    claims = {"sub": "dana", "sid": session_id, "exp": int(time.time()) + ttl}
    return jwt.encode(claims, SECRET, algorithm="HS256")


def host_page(server_url: str, session_id: str, token: str) -> str:
    options = {"baseUrl": server_url, "sessionId": session_id, "token": token, "height": "600px"}
    return f"""<!doctype html><title>Host site</title><h1>Host site</h1>
<div id="chat" style="width:420px"></div>
<script src="{server_url}/static/embed.js"></script>
<script>
  window.received = [];
  ["ready", "auth-expired"].forEach(function (name) {{
    document.addEventListener("feedback-widget:" + name, function () {{
      window.received.push(name);
    }});
  }});
  window.widget = FeedbackWidget.mount("#chat", {json.dumps(options)});
</script>"""


def test_an_expiring_token_asks_the_host_and_resumes_without_losing_events(
    page: Page, start_server: ServerFactory, host_site: HostSite
) -> None:
    server_url = start_server(
        embed={"allowed_origins": [host_site.origin]},
        auth={
            "mode": "token",
            "secret": SECRET,
            "api_keys": [{"name": "platform", "key": PUSH_KEY, "scopes": ["transcripts:write"]}],
        },
    )
    push = {"X-API-Key": PUSH_KEY}
    session_id = httpx.post(
        f"{server_url}/api/v1/sessions", json={"user_id": "dana"}, headers=push
    ).json()["id"]
    first_token = mint(session_id, ttl=5)
    streams: list[str] = []

    def watch(request: Request) -> None:
        if "/events" in request.url:
            streams.append(request.url)

    page.on("request", watch)
    host_site.html = host_page(server_url, session_id, first_token)
    page.goto(host_site.url)
    frame = page.frame_locator('iframe[title="Chat"]')
    page.wait_for_function("window.received.includes('ready')")
    banner = frame.get_by_role("alert").filter(has_text="This chat link has expired")
    expect(banner).to_be_hidden()

    # Nobody touches the widget: when the token expires, the stream says so.
    page.wait_for_function("window.received.includes('auth-expired')", timeout=10_000)
    expect(banner).to_be_visible()

    # Meanwhile the platform pushes a turn.
    pushed = httpx.post(
        f"{server_url}/api/v1/sessions/{session_id}/tasks",
        json={"id": "meanwhile", "request_text": "Pushed while the link was expired",
              "status": "completed", "response_text": "An answer that waited"},
        headers=push,
    )  # fmt: skip
    assert pushed.status_code == 201
    page.wait_for_timeout(QUIET_SECONDS * 1000)
    # The dead token was not used to reconnect, by the browser or by htmx's extension.
    assert [url for url in streams if first_token in url] == [streams[0]], streams

    page.evaluate("token => window.widget.setToken(token)", mint(session_id, ttl=600))
    expect(
        frame.locator("#transcript").get_by_text("Pushed while the link was expired")
    ).to_be_visible(timeout=10_000)
    expect(frame.locator("#transcript").get_by_text("An answer that waited")).to_be_visible()
    expect(banner).to_be_hidden()
    assert page.evaluate("window.received.filter(e => e === 'auth-expired').length") == 1

    # The resumed stream is live: the next push arrives too.
    httpx.post(
        f"{server_url}/api/v1/sessions/{session_id}/tasks",
        json={"id": "after", "request_text": "And after the new token"},
        headers=push,
    )
    expect(frame.locator("#transcript").get_by_text("And after the new token")).to_be_visible(
        timeout=10_000
    )
    expect(frame.locator("#task-meanwhile")).to_have_count(1)


def test_the_console_takes_an_operator_whose_session_ended_to_sign_in(
    page: Page, start_server: ServerFactory
) -> None:
    admin = {"secret": CONSOLE_SECRET, "session_hours": 0.001}
    server = start_server(**console_config(admin=admin))
    streams: list[str] = []

    def watch(request: Request) -> None:
        if "/events" in request.url:
            streams.append(request.url)

    page.on("request", watch)
    page.goto(server + "/admin")
    page.get_by_label("API key").fill(OPERATOR_KEY)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(server + "/admin")
    # The session lasts about 4 s: its stream ends, and the page goes to the sign-in form.
    expect(page).to_have_url(server + "/admin/login", timeout=10_000)
    expect(page.get_by_label("API key")).to_be_visible()
    assert streams == [server + "/admin/events"]  # the ended stream was never retried


def test_a_stream_refused_for_an_expired_token_waits_for_a_new_one(
    page: Page, start_server: ServerFactory, host_site: HostSite
) -> None:
    server_url = start_server(
        embed={"allowed_origins": [host_site.origin]},
        auth={
            "mode": "token",
            "secret": SECRET,
            "api_keys": [{"name": "platform", "key": PUSH_KEY, "scopes": ["transcripts:write"]}],
        },
    )
    push = {"X-API-Key": PUSH_KEY}
    session_id = httpx.post(
        f"{server_url}/api/v1/sessions", json={"user_id": "dana"}, headers=push
    ).json()["id"]
    first_token = mint(session_id, ttl=3)
    refused: list[int] = []

    def watch(response: Response) -> None:
        if "/events" in response.url and first_token in response.url:
            refused.append(response.status)

    # The network drops every stream until the token has expired: the first stream that gets
    # through is refused (401), as after a laptop wakes up.
    page.route("**/events?*", lambda route: route.abort())
    page.on("response", watch)
    host_site.html = host_page(server_url, session_id, first_token)
    page.goto(host_site.url)
    frame = page.frame_locator('iframe[title="Chat"]')
    page.wait_for_function("window.received.includes('ready')")
    expires_ms = jwt.decode(first_token, options={"verify_signature": False})["exp"] * 1000
    page.wait_for_function(f"Date.now() > {expires_ms}", timeout=10_000)  # the token is dead
    page.unroute("**/events?*")

    page.wait_for_function("window.received.includes('auth-expired')", timeout=15_000)
    banner = frame.get_by_role("alert").filter(has_text="This chat link has expired")
    expect(banner).to_be_visible()
    assert refused == [401]
    page.wait_for_timeout(QUIET_SECONDS * 1000)
    assert refused == [401]  # parked: neither the browser nor the extension tried again

    httpx.post(
        f"{server_url}/api/v1/sessions/{session_id}/tasks",
        json={"id": "meanwhile", "request_text": "Pushed while the stream was down"},
        headers=push,
    )
    page.evaluate("token => window.widget.setToken(token)", mint(session_id, ttl=600))
    expect(
        frame.locator("#transcript").get_by_text("Pushed while the stream was down")
    ).to_be_visible(timeout=10_000)
    expect(banner).to_be_hidden()


def test_a_token_renewed_before_it_expires_moves_the_stream_without_asking(
    page: Page, start_server: ServerFactory, host_site: HostSite
) -> None:
    server_url = start_server(
        embed={"allowed_origins": [host_site.origin]},
        auth={
            "mode": "token",
            "secret": SECRET,
            "api_keys": [{"name": "platform", "key": PUSH_KEY, "scopes": ["transcripts:write"]}],
        },
    )
    push = {"X-API-Key": PUSH_KEY}
    session_id = httpx.post(
        f"{server_url}/api/v1/sessions", json={"user_id": "dana"}, headers=push
    ).json()["id"]
    first_token, second_token = mint(session_id, ttl=4), mint(session_id, ttl=600)
    streams: list[str] = []

    def watch(request: Request) -> None:
        if "/events" in request.url:
            streams.append(request.url)

    page.on("request", watch)
    host_site.html = host_page(server_url, session_id, first_token)
    page.goto(host_site.url)
    frame = page.frame_locator('iframe[title="Chat"]')
    page.wait_for_function("window.received.includes('ready')")

    # The first token's stream ends when it expires; the widget moves to the second at once.
    def moved(request: Request) -> bool:
        return "/events" in request.url and second_token in request.url

    with page.expect_request(moved, timeout=10_000):
        page.evaluate("token => window.widget.setToken(token)", second_token)
    httpx.post(
        f"{server_url}/api/v1/sessions/{session_id}/tasks",
        json={"id": "later", "request_text": "After the first token expired"},
        headers=push,
    )
    expect(frame.locator("#transcript").get_by_text("After the first token expired")).to_be_visible(
        timeout=10_000
    )
    assert page.evaluate("window.received") == ["ready"]  # the host was never asked
    expect(frame.get_by_role("alert").filter(has_text="This chat link has expired")).to_be_hidden()
    assert [second_token in url for url in streams] == [False, True], streams
