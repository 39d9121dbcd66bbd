"""The datasets' formats as pydantic models, checked line by line: OpenAI's chat fine-tuning
format for supervised examples, TRL's conversational prompt/chosen/rejected for preferences."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal["system", "user", "assistant"]
    content: str = Field(min_length=1)

    @field_validator("content")
    @classmethod
    def not_blank(cls, value: str) -> str:
        assert value.strip(), "no empty content"
        return value


class Traced(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=16)
    source_feedback_ids: list[str] = Field(min_length=1)


def _conversation(messages: list[Message], *, ends_with: str) -> None:
    """An optional system message first, then user/assistant turns alternating, ending with
    `ends_with`."""
    roles = [message.role for message in messages]
    if roles and roles[0] == "system":
        roles = roles[1:]
    assert "system" not in roles, "the system prompt comes first, once"
    expected = ["user", "assistant"] * (len(roles) // 2 + 1)
    assert roles == expected[: len(roles)], f"turns alternate from the user: {roles}"
    assert roles and roles[-1] == ends_with, f"ends with {ends_with}: {roles}"


class SupervisedLine(Traced):
    messages: list[Message] = Field(min_length=2)

    def model_post_init(self, context: Any) -> None:
        _conversation(self.messages, ends_with="assistant")


class PreferenceLine(Traced):
    prompt: list[Message] = Field(min_length=1)
    chosen: list[Message] = Field(min_length=1, max_length=1)
    rejected: list[Message] = Field(min_length=1, max_length=1)

    def model_post_init(self, context: Any) -> None:
        _conversation(self.prompt, ends_with="user")
        assert self.chosen[0].role == self.rejected[0].role == "assistant"
        # A retry pair comes from two ratings; a corrected answer from one feedback.
        assert len(self.source_feedback_ids) in (1, 2)


def supervised_lines(body: str) -> list[SupervisedLine]:
    return [SupervisedLine.model_validate(json.loads(line)) for line in body.splitlines()]


def preference_lines(body: str) -> list[PreferenceLine]:
    return [PreferenceLine.model_validate(json.loads(line)) for line in body.splitlines()]
