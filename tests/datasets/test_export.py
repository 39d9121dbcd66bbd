"""The datasets end to end through the widget's own forms: a chat with a retried reply rated
down then up gives supervised examples and one preference pair, in formats checked line by
line and loaded by Hugging Face `datasets`; the same lines every time; only for a key that
reads everyone's feedback."""

from __future__ import annotations

import time
from pathlib import Path

import jwt
from datasets import load_dataset

from tests.support.agent_turns import HTMX, finished, new_chat, send, started_turn
from tests.support.console import OPERATOR_KEY, READER_KEY, console_config, sign_in
from tests.support.datasets import preference_lines, supervised_lines
from tests.support.harness import Harness, HarnessFactory

OPERATOR = {"X-API-Key": OPERATOR_KEY}
SFT = "/api/v1/datasets/sft.jsonl"
PREFERENCES = "/api/v1/datasets/preferences.jsonl"


async def rate(harness: Harness, session_id: str, task_id: str, rating: str) -> None:
    response = await harness.client.post(
        f"/chat/{session_id}/feedback", data={"task_id": task_id, "rating": rating}, headers=HTMX
    )
    assert response.status_code == 204, response.text


async def answered(harness: Harness, session_id: str, text: str) -> tuple[str, str]:
    task_id = await send(harness, session_id, text)
    return task_id, (await finished(harness, task_id)).response_text


async def retried(harness: Harness, session_id: str, task_id: str) -> tuple[str, str]:
    response = await harness.client.post(f"/chat/{session_id}/tasks/{task_id}/retry", headers=HTMX)
    again = started_turn(response)
    return again, (await finished(harness, again)).response_text


async def test_a_retried_reply_rated_down_then_up_makes_examples_and_a_pair(
    make_harness: HarnessFactory, tmp_path: Path
) -> None:
    harness = await make_harness(stream_seconds=0.01, **console_config())
    session_id = await new_chat(harness)
    _, first = await answered(harness, session_id, "first question")
    second_id, second = await answered(harness, session_id, "second question")
    await rate(harness, session_id, second_id, "down")
    retry_id, retry = await retried(harness, session_id, second_id)
    await rate(harness, session_id, retry_id, "up")
    third_id, third = await answered(harness, session_id, "third question")
    await rate(harness, session_id, third_id, "up")

    sft = await harness.client.get(SFT, headers=OPERATOR)
    assert sft.status_code == 200, sft.text
    assert sft.headers["content-type"] == "application/x-ndjson"
    assert sft.headers["content-disposition"].startswith('attachment; filename="sft-')
    examples = supervised_lines(sft.text)
    # Newest feedback first; the reply rated down never is an example, and once retried it
    # leaves the conversation: the retry's answer stands in its place.
    assert [[(m.role, m.content) for m in line.messages] for line in examples] == [
        [
            ("user", "first question"), ("assistant", first),
            ("user", "second question"), ("assistant", retry),
            ("user", "third question"), ("assistant", third),
        ],
        [
            ("user", "first question"), ("assistant", first),
            ("user", "second question"), ("assistant", retry),
        ],
    ]  # fmt: skip

    preferences = await harness.client.get(PREFERENCES, headers=OPERATOR)
    assert preferences.status_code == 200, preferences.text
    (pair,) = preference_lines(preferences.text)
    assert [(m.role, m.content) for m in pair.prompt] == [
        ("user", "first question"), ("assistant", first), ("user", "second question"),
    ]  # fmt: skip
    assert pair.chosen[0].content == retry and pair.rejected[0].content == second
    feedback = (await harness.client.get("/api/v1/feedback", headers=OPERATOR)).json()
    by_task = {row["task_id"]: row["id"] for row in feedback}
    assert pair.source_feedback_ids == [by_task[second_id], by_task[retry_id]]

    # Exporting again gives the same lines in the same order.
    assert (await harness.client.get(SFT, headers=OPERATOR)).text == sft.text
    assert (await harness.client.get(PREFERENCES, headers=OPERATOR)).text == preferences.text

    # A real consumer reads both files, as a fine-tuning job would.
    (tmp_path / "sft.jsonl").write_text(sft.text)
    (tmp_path / "preferences.jsonl").write_text(preferences.text)
    loaded = load_dataset("json", data_files=str(tmp_path / "sft.jsonl"), split="train")
    assert loaded.num_rows == 2 and loaded[0]["messages"][-1]["role"] == "assistant"
    pairs = load_dataset("json", data_files=str(tmp_path / "preferences.jsonl"), split="train")
    assert pairs.column_names == ["id", "source_feedback_ids", "prompt", "chosen", "rejected"]
    assert pairs[0]["chosen"] == [{"role": "assistant", "content": retry}]

    # The listing's filters apply: no example rated in another agent's name.
    none = await harness.client.get(SFT, params={"agent_id": "nobody"}, headers=OPERATOR)
    assert none.status_code == 200 and none.text == ""

    # The console's buttons download the same files for the view.
    await sign_in(harness)
    page = (await harness.client.get("/admin")).text
    assert 'href="/admin/datasets/preferences.jsonl' in page
    console = await harness.client.get("/admin/datasets/preferences.jsonl?range=30d")
    assert console.status_code == 200 and console.text == preferences.text


async def test_only_a_key_that_reads_everyone_s_feedback_gets_a_dataset(
    make_harness: HarnessFactory,
) -> None:
    secret = "s" * 48
    harness = await make_harness(
        **console_config(
            auth={
                "mode": "token",
                "secret": secret,
                "api_keys": [
                    {"name": "ops", "key": OPERATOR_KEY, "scopes": ["feedback:read:all"]},
                    {"name": "reader", "key": READER_KEY, "scopes": ["feedback:read"]},
                ],
            }
        )
    )
    token = jwt.encode({"sub": "alice", "exp": int(time.time()) + 300}, secret)
    for path in (SFT, PREFERENCES):
        assert (await harness.client.get(path, headers=OPERATOR)).status_code == 200
        reader = await harness.client.get(path, headers={"X-API-Key": READER_KEY})
        assert reader.status_code == 403 and reader.json()["code"] == "missing_scope"
        user = await harness.client.get(path, headers={"Authorization": f"Bearer {token}"})
        assert user.status_code == 403
        assert (await harness.client.get(path)).status_code == 401
    await sign_in(harness)
    assert (await harness.client.get("/admin/datasets/other.jsonl")).status_code == 422
