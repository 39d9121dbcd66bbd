"""Reviewers' decisions in the datasets, end to end through the widget and the review API: a
corrected answer is an example's final message whatever the rating (it replaces the reply,
under the same id) and the chosen answer against the reply rated down it corrects; a rating a
reviewer dismissed makes no example and no retry pair. Every line is checked against its
format, and two exports give the same lines in the same order."""

from __future__ import annotations

from pathlib import Path

from datasets import load_dataset

from app.datasets.lines import line_id
from tests.datasets.test_export import PREFERENCES, SFT, answered, rate, retried
from tests.support.agent_turns import new_chat
from tests.support.datasets import preference_lines, supervised_lines
from tests.support.harness import Harness, HarnessFactory
from tests.support.reviewing import KEYS, READ_ALL, reviewed

CORRECTION = "Open **Settings → Security**, then choose *Reset password*."


async def reviewer_app(make_harness: HarnessFactory) -> Harness:
    return await make_harness(stream_seconds=0.01, auth={"mode": "dev", "api_keys": KEYS})


async def one_turn(harness: Harness, text: str, rating: str) -> tuple[str, str, str]:
    """A new chat with one answered message, rated: (feedback id, task id, answer)."""
    session_id = await new_chat(harness)
    task_id, answer = await answered(harness, session_id, text)
    await rate(harness, session_id, task_id, rating)
    return await feedback_of(harness, task_id), task_id, answer


async def feedback_of(harness: Harness, task_id: str) -> str:
    listed = await harness.client.get("/api/v1/feedback", params={"task_id": task_id})
    (row,) = listed.json()
    return str(row["id"])


async def exported(harness: Harness, path: str) -> str:
    response = await harness.client.get(path, headers=READ_ALL)
    assert response.status_code == 200, response.text
    again = await harness.client.get(path, headers=READ_ALL)
    assert again.text == response.text  # the same lines in the same order
    return response.text


async def test_corrections_and_dismissals_shape_both_datasets(
    make_harness: HarnessFactory, tmp_path: Path
) -> None:
    harness = await reviewer_app(make_harness)
    liked, _, liked_answer = await one_turn(harness, "liked", "up")
    corrected_down, _, wrong = await one_turn(harness, "corrected down", "down")
    await reviewed(harness.client, corrected_down, status="reviewed", correction=CORRECTION)
    dismissed_up, _, _ = await one_turn(harness, "dismissed up", "up")
    await reviewed(harness.client, dismissed_up, status="dismissed")
    corrected_up, _, _ = await one_turn(harness, "corrected up", "up")
    await reviewed(harness.client, corrected_up, correction="A better answer.")
    await one_turn(harness, "plain down", "down")
    blank, _, _ = await one_turn(harness, "blank correction", "down")
    await reviewed(harness.client, blank, correction="   \n")  # clears: no correction
    # A dismissed thumbs-down with a correction: the correction still stands.
    dismissed_down, _, wrong_too = await one_turn(harness, "dismissed down", "down")
    await reviewed(harness.client, dismissed_down, status="dismissed", correction="Right.")

    examples = supervised_lines(await exported(harness, SFT))
    final = {line.source_feedback_ids[0]: line.messages for line in examples}
    assert list(final) == [dismissed_down, corrected_up, corrected_down, liked]  # newest first
    assert [(m.role, m.content) for m in final[corrected_down]] == [
        ("user", "corrected down"), ("assistant", CORRECTION),
    ]  # fmt: skip
    assert final[corrected_up][-1].content == "A better answer."
    assert final[dismissed_down][-1].content == "Right."
    assert final[liked][-1].content == liked_answer
    # A correction replaces the example of the reply it corrects, under its id.
    assert {line.id for line in examples} == {
        line_id("sft", [fid]) for fid in (dismissed_down, corrected_up, corrected_down, liked)
    }

    pairs = preference_lines(await exported(harness, PREFERENCES))
    assert [(p.source_feedback_ids, p.chosen[0].content, p.rejected[0].content) for p in pairs] == [
        ([dismissed_down], "Right.", wrong_too),
        ([corrected_down], CORRECTION, wrong),
    ]
    assert [m.content for m in pairs[1].prompt] == ["corrected down"]
    assert len({p.id for p in pairs} | {e.id for e in examples}) == len(pairs) + len(examples)

    # A real consumer reads the mixed file (a pair from one feedback beside pairs from two).
    (tmp_path / "preferences.jsonl").write_text(await exported(harness, PREFERENCES))
    loaded = load_dataset("json", data_files=str(tmp_path / "preferences.jsonl"), split="train")
    assert loaded.num_rows == 2 and loaded[0]["chosen"] == [
        {"role": "assistant", "content": "Right."}
    ]


async def test_a_retry_pair_and_a_correction_pair_from_one_chat(
    make_harness: HarnessFactory,
) -> None:
    harness = await reviewer_app(make_harness)
    session_id = await new_chat(harness)
    first_id, first = await answered(harness, session_id, "first question")
    await rate(harness, session_id, first_id, "down")
    retry_id, retry = await retried(harness, session_id, first_id)
    await rate(harness, session_id, retry_id, "up")
    down, up = await feedback_of(harness, first_id), await feedback_of(harness, retry_id)
    await reviewed(harness.client, down, status="reviewed", correction=CORRECTION)

    pairs = preference_lines(await exported(harness, PREFERENCES))
    # Newest feedback first: the retry's pair, then the correction of the older answer.
    assert [(p.source_feedback_ids, p.chosen[0].content, p.rejected[0].content) for p in pairs] == [
        ([down, up], retry, first),
        ([down], CORRECTION, first),
    ]
    examples = supervised_lines(await exported(harness, SFT))
    assert [(e.source_feedback_ids, e.messages[-1].content) for e in examples] == [
        ([up], retry),
        ([down], CORRECTION),
    ]

    # Once a reviewer dismisses the thumbs-down, the retry pair is gone; the correction stays.
    await reviewed(harness.client, down, status="dismissed")
    after = preference_lines(await exported(harness, PREFERENCES))
    assert [p.source_feedback_ids for p in after] == [[down]]
    # ... and dismissing the thumbs-up takes its example.
    await reviewed(harness.client, up, status="dismissed")
    assert [e.source_feedback_ids for e in supervised_lines(await exported(harness, SFT))] == [
        [down]
    ]


async def test_the_review_filters_select_dataset_lines(make_harness: HarnessFactory) -> None:
    harness = await reviewer_app(make_harness)
    corrected, _, _ = await one_turn(harness, "corrected", "down")
    await reviewed(harness.client, corrected, status="reviewed", labels=["tone"], correction="Ok.")
    liked, _, _ = await one_turn(harness, "liked", "up")
    for params, expected in (
        ({"review_status": "reviewed"}, [[corrected]]),
        ({"review_label": "tone"}, [[corrected]]),
        ({"review_status": "open"}, [[liked]]),
    ):
        answer = await harness.client.get(SFT, params=params, headers=READ_ALL)
        assert [e.source_feedback_ids for e in supervised_lines(answer.text)] == expected, params
