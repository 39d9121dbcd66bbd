"""A dataset line from a rated reply and its chat: the conversation before the reply's message
(completed turns only, an answer a Retry replaced left out), then the message, then the
answer(s). A reviewer's corrected answer is an answer too: the final message of its example,
the chosen answer against the reply rated down it corrects. Pure functions of what the store
read, so the same rows give the same lines."""

from __future__ import annotations

import hashlib
from typing import Any

from app.datasets.store import ChatTurn, RatedReply

Message = dict[str, str]


def line_id(kind: str, feedback_ids: list[str]) -> str:
    """Stable across exports: a hash of the kind and the feedback the line was made from."""
    return hashlib.sha256(f"{kind}:{','.join(feedback_ids)}".encode()).hexdigest()[:32]


def _usable(turn: ChatTurn) -> bool:
    return (
        turn.status == "completed"
        and bool(turn.request_text.strip())
        and bool(turn.response_text.strip())
    )


def prompt(turns: list[ChatTurn], task_id: str, system_prompt: str | None) -> list[Message] | None:
    """The messages before `task_id`'s answer, ending with its user message; None when the
    turn is not in the chat or its message is empty."""
    by_id = {turn.id: turn for turn in turns}
    target = by_id.get(task_id)
    if target is None or not target.request_text.strip():
        return None
    # A retry answers the message of the turn it retries: its context is the one before the
    # first answer (the chain's root), not the turns sent in between.
    root, seen = target, {target.id}
    while root.retry_of in by_id and root.retry_of not in seen:
        root = by_id[root.retry_of]
        seen.add(root.id)
    replaced = {turn.retry_of for turn in turns if turn.status == "completed" and turn.retry_of}
    messages: list[Message] = []
    if system_prompt and system_prompt.strip() and target.agent_type is not None:
        messages.append({"role": "system", "content": system_prompt})
    for turn in turns:
        if (turn.start_time, turn.id) >= (root.start_time, root.id):
            break
        if _usable(turn) and turn.id not in replaced:
            messages.append({"role": "user", "content": turn.request_text})
            messages.append({"role": "assistant", "content": turn.response_text})
    messages.append({"role": "user", "content": target.request_text})
    return messages


def _answer(turns: list[ChatTurn], task_id: str) -> Message | None:
    for turn in turns:
        if turn.id == task_id and _usable(turn):
            return {"role": "assistant", "content": turn.response_text}
    return None


def _correction(reply: RatedReply) -> Message | None:
    text = reply.correction
    return {"role": "assistant", "content": text} if text and text.strip() else None


def sft_line(
    reply: RatedReply, turns: list[ChatTurn], system_prompt: str | None
) -> dict[str, Any] | None:
    """`{"messages": [...]}` ending with the reviewer's corrected answer when there is one,
    else with the reply rated up (if no reviewer dismissed it); None if any part is empty.
    The id is the feedback's either way: a correction replaces the example it corrects."""
    messages = prompt(turns, reply.task_id, system_prompt)
    answer = _correction(reply)
    if answer is None and reply.rating == "up" and reply.review_status != "dismissed":
        answer = _answer(turns, reply.task_id)
    if messages is None or answer is None:
        return None
    sources = [reply.feedback_id]
    return {
        "id": line_id("sft", sources),
        "source_feedback_ids": sources,
        "messages": [*messages, answer],
    }


def sft_lines(
    reply: RatedReply, turns: list[ChatTurn], system_prompt: str | None
) -> list[dict[str, Any]]:
    """The example one feedback makes, if any."""
    line = sft_line(reply, turns, system_prompt)
    return [] if line is None else [line]


def preference_lines(
    reply: RatedReply, turns: list[ChatTurn], system_prompt: str | None
) -> list[dict[str, Any]]:
    """The pairs one feedback makes: its retry pair, then its correction's pair."""
    made = (retry_line(reply, turns, system_prompt), correction_line(reply, turns, system_prompt))
    return [line for line in made if line is not None]


def retry_line(
    reply: RatedReply, turns: list[ChatTurn], system_prompt: str | None
) -> dict[str, Any] | None:
    """`{"prompt", "chosen", "rejected"}` from a retry and the turn it retried."""
    if reply.other_task_id is None or reply.other_feedback_id is None:
        return None
    if reply.rating == "up":
        chosen_id, rejected_id = reply.task_id, reply.other_task_id
    else:
        chosen_id, rejected_id = reply.other_task_id, reply.task_id
    messages = prompt(turns, reply.other_task_id, system_prompt)
    chosen, rejected = _answer(turns, chosen_id), _answer(turns, rejected_id)
    if messages is None or chosen is None or rejected is None:
        return None
    # The older answer's feedback first: the same pair always has the same sources.
    sources = [reply.other_feedback_id, reply.feedback_id]
    return {
        "id": line_id("preference", sources),
        "source_feedback_ids": sources,
        "prompt": messages,
        "chosen": [chosen],
        "rejected": [rejected],
    }


def correction_line(
    reply: RatedReply, turns: list[ChatTurn], system_prompt: str | None
) -> dict[str, Any] | None:
    """`{"prompt", "chosen", "rejected"}`: the corrected answer against the reply rated down
    it corrects."""
    if reply.rating != "down":
        return None
    messages = prompt(turns, reply.task_id, system_prompt)
    chosen, rejected = _correction(reply), _answer(turns, reply.task_id)
    if messages is None or chosen is None or rejected is None:
        return None
    sources = [reply.feedback_id]
    return {
        "id": line_id("correction", sources),
        "source_feedback_ids": sources,
        "prompt": messages,
        "chosen": [chosen],
        "rejected": [rejected],
    }
