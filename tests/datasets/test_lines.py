"""How a line is made from a chat's turns: the system prompt, the conversation before the
message (completed turns only, replaced answers left out, a retry's context that of the turn
it retries), and no line with an empty message."""

from __future__ import annotations

from app.datasets.lines import correction_line, line_id, preference_lines, retry_line, sft_line
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
        line = retry_line(reply, turns, None)
        assert line is not None
        checked = PreferenceLine.model_validate(line)
        assert [(m.role, m.content) for m in checked.prompt] == [
            ("user", "q1"), ("assistant", "a1"), ("user", "q2"),
        ]  # fmt: skip
        assert (checked.chosen[0].content, checked.rejected[0].content) == (chosen, rejected)
        assert checked.source_feedback_ids == ["f2", "f3"]
        assert checked.id == line_id("preference", ["f2", "f3"]) != line_id("sft", ["f2", "f3"])


def rated(n: int, rating: str | None, correction: str | None, status: str = "open") -> RatedReply:
    return RatedReply(f"f{n}", n, rating, f"t{n}", "s", correction=correction, review_status=status)


def test_a_correction_is_the_final_answer_whatever_the_rating() -> None:
    turns = [turn(1), turn(2, "failed", answer="")]
    for rating in ("up", "down", None):
        assert pairs(sft_line(rated(1, rating, "Fixed."), turns, None)) == [
            ("user", "q1"), ("assistant", "Fixed."),
        ]  # fmt: skip
    # A failed reply has no answer of its own to give, but its correction does.
    assert pairs(sft_line(rated(2, "down", "Fixed."), turns, None))[-1] == ("assistant", "Fixed.")
    # Blank, it is no correction: the reply rated up stands, one rated down makes nothing.
    assert pairs(sft_line(rated(1, "up", " \n"), turns, None))[-1] == ("assistant", "a1")
    assert sft_line(rated(1, "down", " \n"), turns, None) is None
    # A dismissed rating up is no example; a dismissed one with a correction still is.
    assert sft_line(rated(1, "up", None, "dismissed"), turns, None) is None
    assert sft_line(rated(1, "up", "Fixed.", "dismissed"), turns, None) is not None
    # The example keeps the feedback's id when a correction replaces its answer.
    assert {
        line["id"]
        for line in (sft_line(rated(1, "up", x), turns, None) for x in (None, "F."))
        if line is not None
    } == {line_id("sft", ["f1"])}


def test_a_correction_pairs_with_the_reply_rated_down_it_corrects() -> None:
    turns = [turn(1), turn(2), turn(3, "failed", answer="")]
    line = correction_line(rated(2, "down", "Fixed."), turns, "Be brief.")
    checked = PreferenceLine.model_validate(line)
    assert [(m.role, m.content) for m in checked.prompt] == [
        ("system", "Be brief."), ("user", "q1"), ("assistant", "a1"), ("user", "q2"),
    ]  # fmt: skip
    assert (checked.chosen[0].content, checked.rejected[0].content) == ("Fixed.", "a2")
    assert checked.source_feedback_ids == ["f2"] and checked.id == line_id("correction", ["f2"])
    assert correction_line(rated(2, "up", "Fixed."), turns, None) is None  # nothing rejected
    assert correction_line(rated(2, "down", None), turns, None) is None
    assert correction_line(rated(3, "down", "Fixed."), turns, None) is None  # no reply to reject


def test_one_feedback_can_make_a_retry_pair_and_a_correction_pair() -> None:
    turns = [turn(1), turn(2, retry_of=1, asks=1)]
    reply = RatedReply("f2", 2, "down", "t2", "s", "f1", "t1", correction="Fixed.")
    made = preference_lines(reply, turns, None)
    assert [(line["source_feedback_ids"], line["chosen"], line["rejected"]) for line in made] == [
        (["f1", "f2"], [{"role": "assistant", "content": "a1"}],
         [{"role": "assistant", "content": "a2"}]),
        (["f2"], [{"role": "assistant", "content": "Fixed."}],
         [{"role": "assistant", "content": "a2"}]),
    ]  # fmt: skip
    for line in made:
        PreferenceLine.model_validate(line)
