"""How a line is made from a chat's turns: the system prompt, the conversation before the
message (completed turns only, replaced answers left out, a retry's context that of the turn
it retries), and no line with an empty message."""

from __future__ import annotations

from app.datasets.lines import line_id, preference_line, sft_line
from app.datasets.store import ChatTurn, RatedReply
from tests.support.datasets import PreferenceLine, SupervisedLine


def turn(
    n: int,
    status: str = "completed",
    *,
    retry_of: int | None = None,
    asks: int | None = None,
    answer: str | None = None,
) -> ChatTurn:
    """Turn n, started at n s; a retry asks the message of the turn `asks` (its chain's
    first), else its own."""
    return ChatTurn(
        id=f"t{n}",
        status=status,
        request_text=f"q{asks or n}",
        response_text=f"a{n}" if answer is None else answer,
        start_time=n * 1000,
        retry_of=None if retry_of is None else f"t{retry_of}",
        agent_type="openai",
    )


def liked(n: int) -> RatedReply:
    return RatedReply(f"f{n}", n, "up", f"t{n}", "s")


def pairs(line: dict[str, object] | None) -> list[tuple[str, str]]:
    assert line is not None
    messages = SupervisedLine.model_validate(line).messages
    return [(message.role, message.content) for message in messages]


def test_the_system_prompt_comes_first_and_failed_turns_are_left_out() -> None:
    turns = [turn(1), turn(2, "failed"), turn(3, "cancelled"), turn(4)]
    line = sft_line(liked(4), turns, "Be brief.")
    assert pairs(line) == [
        ("system", "Be brief."), ("user", "q1"), ("assistant", "a1"), ("user", "q4"),
        ("assistant", "a4"),
    ]  # fmt: skip
    assert sft_line(liked(4), turns, "   ") == sft_line(liked(4), turns, None)
    # A turn an agent platform answered: this server does not know its system prompt.
    pushed = [*turns[:3], ChatTurn("t4", "completed", "q4", "a4", 4000, None, None)]
    assert pairs(sft_line(liked(4), pushed, "Be brief."))[0] == ("user", "q1")


def test_a_replaced_answer_leaves_the_conversation_and_a_retry_keeps_its_turn_s_context() -> None:
    # t2 answered q2, t3 came after, then t4 retried t2 and t5 retried t4.
    turns = [
        turn(1), turn(2), turn(3), turn(4, retry_of=2, asks=2), turn(5, retry_of=4, asks=2),
        turn(6),
    ]  # fmt: skip
    assert pairs(sft_line(liked(5), turns, None)) == [
        ("user", "q1"), ("assistant", "a1"), ("user", "q2"), ("assistant", "a5"),
    ]  # fmt: skip
    # Later, the chat reads in the order it was shown; only the last answer to q2 stays.
    assert pairs(sft_line(liked(6), turns, None)) == [
        ("user", "q1"), ("assistant", "a1"), ("user", "q3"), ("assistant", "a3"),
        ("user", "q2"), ("assistant", "a5"), ("user", "q6"), ("assistant", "a6"),
    ]  # fmt: skip


def test_an_empty_answer_makes_no_line() -> None:
    assert sft_line(liked(1), [turn(1, answer="  \n")], None) is None
    assert sft_line(liked(2), [turn(1)], None) is None  # the turn is gone (retention)
    # An empty earlier answer is left out, not sent empty.
    assert pairs(sft_line(liked(2), [turn(1, answer=""), turn(2)], None)) == [
        ("user", "q2"), ("assistant", "a2"),
    ]  # fmt: skip


def test_a_pair_chooses_the_liked_answer_whichever_came_first() -> None:
    turns = [turn(1), turn(2), turn(3, retry_of=2, asks=2)]
    for rating, chosen, rejected in (("up", "a3", "a2"), ("down", "a2", "a3")):
        reply = RatedReply("f3", 3, rating, "t3", "s", "f2", "t2")
        line = preference_line(reply, turns, None)
        assert line is not None
        checked = PreferenceLine.model_validate(line)
        assert [(m.role, m.content) for m in checked.prompt] == [
            ("user", "q1"), ("assistant", "a1"), ("user", "q2"),
        ]  # fmt: skip
        assert (checked.chosen[0].content, checked.rejected[0].content) == (chosen, rejected)
        assert checked.source_feedback_ids == ["f2", "f3"]
        assert checked.id == line_id("preference", ["f2", "f3"]) != line_id("sft", ["f2", "f3"])
