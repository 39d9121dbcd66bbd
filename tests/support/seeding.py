"""Many feedback rows in a migrated SQLite file, fast: for the console's performance and the
export's memory, where going through the API would take minutes. Rows look like what the
write path stores (a session and a completed task each, reasons in both places)."""

from __future__ import annotations

import json
import random
import sqlite3
import uuid
from contextlib import closing
from pathlib import Path

from app.clock import now_ms

AGENTS = ("support", "sales", "research", "billing", "onboarding")
MODELS = ("gpt-4o-mini", "llama-3.1-8b", "claude-haiku", "smollm2-135m")
PROMPTS = ("v1", "v2", "v3")
UP_REASONS = ("Accurate", "Clear", "Fast")
DOWN_REASONS = ("Incorrect", "Not helpful", "Too long")
DAY_MS = 86_400_000


def seed_feedback(path: Path, count: int, *, days: int = 30, seed: int = 7) -> None:
    """`count` thumbs ratings spread over the last `days` days, from 50 users."""
    rng = random.Random(seed)
    end = now_ms()
    sessions, tasks, feedback, reasons = [], [], [], []
    for n in range(count):
        created = end - rng.randrange(days * DAY_MS)
        session_id, task_id, feedback_id = f"s{n}", f"t{n}", str(uuid.uuid4())
        user = f"user{n % 50}"
        agent, model, prompt = rng.choice(AGENTS), rng.choice(MODELS), rng.choice(PROMPTS)
        rating = "up" if rng.random() < 0.7 else "down"
        offered = UP_REASONS if rating == "up" else DOWN_REASONS
        chosen = sorted(rng.sample(offered, rng.randint(0, 2)))
        comment = f"Comment {n}" if rng.random() < 0.2 else None
        sessions.append((session_id, user, agent, f"Chat {n}", created - 60_000, "{}"))
        tasks.append(
            (task_id, session_id, user, agent, "completed", f"Question {n}", f"Answer {n}",
             model, prompt, created - 60_000, created - 30_000, "{}")
        )  # fmt: skip
        feedback.append(
            (feedback_id, task_id, session_id, "task", task_id, user, agent, "thumbs", 1,
             rating, comment, 1.0, "customer", "widget", "{}", created, model, prompt,
             json.dumps(chosen))
        )  # fmt: skip
        reasons += [(feedback_id, reason, "customer", rating, created) for reason in chosen]
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.executemany(
            "INSERT INTO sessions (id, user_id, agent_id, title, created_at, metadata) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            sessions,
        )
        conn.executemany(
            "INSERT INTO tasks (id, session_id, user_id, agent_id, status, request_text, "
            "response_text, model, prompt_version, start_time, end_time, metadata) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            tasks,
        )
        conn.executemany(
            "INSERT INTO feedback (id, task_id, session_id, target_kind, target_id, user_id, "
            "agent_id, key, exclusive, rating, comment, weight, source, via, metadata, "
            "created_time, model, prompt_version, reasons) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            feedback,
        )
        conn.executemany(
            "INSERT INTO feedback_reasons (feedback_id, reason, source, rating, created_time) "
            "VALUES (?, ?, ?, ?, ?)",
            reasons,
        )
        conn.execute("ANALYZE")


def seed_retry_pairs(
    path: Path, pairs: int, *, days: int = 30, seed: int = 11, corrected_every: int = 0
) -> None:
    """`pairs` chats of one message answered twice (the second a Retry of the first), the
    first answer rated down and the retry up: twice `pairs` feedback rows, each pair a line of
    both datasets' worth (the liked retry is an example, the two answers a preference). With
    `corrected_every`, every so many answers rated down carry a reviewer's correction: one
    more line of each dataset apiece."""
    rng = random.Random(seed)
    end = now_ms()
    sessions, tasks, feedback = [], [], []
    for n in range(pairs):
        created = end - rng.randrange(days * DAY_MS)
        session_id, user = f"rs{n}", f"user{n % 50}"
        sessions.append((session_id, user, "support", f"Chat {n}", created - 60_000, "{}"))
        for k, (rating, retry_of) in enumerate((("down", None), ("up", f"rt{n}-0"))):
            task_id, at = f"rt{n}-{k}", created + k * 1000
            tasks.append(
                (task_id, session_id, user, "support", "completed", f"Question {n}",
                 f"Answer {n}.{k} " + "text " * 40, "gpt-4o-mini", "v1", at - 500, at, "{}",
                 retry_of, "echo")
            )  # fmt: skip
            corrected = rating == "down" and corrected_every and n % corrected_every == 0
            correction = f"Corrected answer {n} " + "text " * 40 if corrected else None
            feedback.append(
                (str(uuid.uuid4()), task_id, session_id, "task", task_id, user, "support",
                 "thumbs", 1, rating, None, 1.0, "customer", "widget", "{}", at, "gpt-4o-mini",
                 "v1", "[]", "reviewed" if corrected else "open", correction)
            )  # fmt: skip
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.executemany(
            "INSERT INTO sessions (id, user_id, agent_id, title, created_at, metadata) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            sessions,
        )
        conn.executemany(
            "INSERT INTO tasks (id, session_id, user_id, agent_id, status, request_text, "
            "response_text, model, prompt_version, start_time, end_time, metadata, retry_of, "
            "agent_type) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            tasks,
        )
        conn.executemany(
            "INSERT INTO feedback (id, task_id, session_id, target_kind, target_id, user_id, "
            "agent_id, key, exclusive, rating, comment, weight, source, via, metadata, "
            "created_time, model, prompt_version, reasons, review_status, correction) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            feedback,
        )
        conn.execute("ANALYZE")
