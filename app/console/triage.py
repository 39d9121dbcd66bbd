"""The review queue's pages: the queue with its open item, a reviewer's action on it (plain
forms, so it all works without JavaScript), the corrected answer's preview and the live
refresh. Every route needs an operator; acting needs a key with `feedback:review`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from app.bounds import CORRECTION_MAX_CHARS
from app.console import worklist
from app.console.queue import PATH, QueueQuery
from app.console.session import OPERATOR_KEY, Operator
from app.errors import APIError, invalid_field
from app.feedback.model import FeedbackView
from app.feedback.review import ReviewChange, ReviewConflict, ReviewStatus, review
from app.i18n.catalogs import DEFAULT, N_, translator
from app.transcripts.markdown import COPY, TABLE, in_language, render_final
from app.web.handlers import in_language as error_in_language
from app.web.languages import page_language, page_locale
from app.web.parsing import read_form
from app.web.state import services

ACTIONS: dict[str, ReviewStatus | None] = {"reviewed": "reviewed", "dismissed": "dismissed"}
SAVE, PREVIEW = "save", "preview"
READ_ONLY = N_(
    "This key may look at the review queue but not act on it: that needs a key with the "
    "feedback:review scope."
)
# The service's limits, as a page in another language says them (`error_in_language`).
TOO_LONG = N_("Keep the corrected answer to %(limit)s characters.")
NOTE_TOO_LONG = N_("Keep the note to %(limit)s characters.")


@dataclass(frozen=True)
class Draft:
    """What the reviewer typed and chose, kept in the form when it could not be stored."""

    labels: tuple[str, ...]
    correction: str
    note: str

    @classmethod
    def of(cls, form: FormData) -> Draft:
        return cls(
            labels=tuple(str(value) for value in form.getlist("labels")),
            correction=str(form.get("correction") or ""),
            note=str(form.get("note") or ""),
        )

    @classmethod
    def stored(cls, feedback: FeedbackView) -> Draft:
        return cls(feedback.review_labels, feedback.correction or "", feedback.review_note or "")


def operator_of(request: Request) -> Operator:
    operator: Operator = request.scope[OPERATOR_KEY]  # RequireOperator put it there
    return operator


def corrected_html(text: str, locale: str) -> Markup:
    """A corrected answer exactly as the widget shows a completed reply: the same renderer,
    highlighted code with its Copy button, in the page's language."""
    html = Markup(render_final(text))
    if locale == DEFAULT:
        return html
    words = translator(locale)
    return in_language(html, words.gettext(COPY), words.gettext(TABLE))


async def show_queue(request: Request) -> Response:
    query = QueueQuery.parse(request.query_params)
    canonical = query.canonical()
    if dict(request.query_params) != canonical:
        # The filter form sends every field, empty or default; the address to share names
        # only what this view chose.
        target = f"{PATH}?{urlencode(canonical)}" if canonical else PATH
        return RedirectResponse(target, status_code=303)
    return await _render(request, query)


async def _render(
    request: Request,
    query: QueueQuery,
    *,
    status: int = 200,
    draft: Draft | None = None,
    conflict: FeedbackView | None = None,
    error: str | None = None,
    preview: Markup | None = None,
) -> Response:
    svc = services(request)
    queue = await worklist.build(svc.db, svc.config.review, query)
    item = queue.item
    stored = item.feedback if item else None
    locale = page_locale(request)
    context: dict[str, Any] = {
        "operator": operator_of(request),
        "queue": queue,
        "q": query,
        "labels": svc.config.review.labels,
        "draft": draft or (Draft.stored(stored) if stored else None),
        "conflict": conflict,
        "error": error,
        "preview": preview,
        "correction_html": corrected_html(stored.correction, locale)
        if stored and stored.correction
        else None,
        "correction_limit": CORRECTION_MAX_CHARS,
    }
    return svc.templates.TemplateResponse(
        request, "console/review.html", context, status_code=status
    )


async def act(request: Request) -> Response:
    """One reviewer action from the item's form: Mark reviewed, Dismiss, Save, or (without
    JavaScript) Preview. Then on to the next item of the view, its filters kept."""
    operator = operator_of(request)
    feedback_id = request.path_params["feedback_id"]
    query = replace(QueueQuery.parse(request.query_params), item=feedback_id, done=None)
    if not operator.can_review:  # the page again, saying why nothing happened
        refused = translator(page_locale(request)).gettext(READ_ONLY)
        return await _render(request, query, status=403, error=refused)
    form = await read_form(request)
    action = str(form.get("action") or "")
    if action not in (*ACTIONS, SAVE, PREVIEW):
        raise invalid_field("action", "Choose reviewed, dismissed, save or preview.")
    draft = Draft.of(form)
    if action == PREVIEW:
        preview = corrected_html(draft.correction, page_locale(request))
        return await _render(request, query, draft=draft, preview=preview)
    svc = services(request)
    change = ReviewChange(
        feedback_id=feedback_id,
        expected_version=_version(form),
        by=operator.key_name,
        status=ACTIONS.get(action),
        labels=draft.labels,
        correction=draft.correction,
        note=draft.note,
    )
    settings = svc.config.review
    try:
        await svc.writer.run(lambda tx: review(tx, change, settings))
    except ReviewConflict as exc:
        return await _render(request, query, status=409, draft=draft, conflict=exc.current)
    except APIError as exc:
        if exc.status_code != 422:
            raise
        detail = error_in_language(exc, page_locale(request))
        return await _render(request, query, status=422, draft=draft, error=detail)
    following = feedback_id
    if action in ACTIONS:
        following = await worklist.next_after(svc.db, settings, query, feedback_id) or ""
    done = "saved" if action == SAVE else action
    return RedirectResponse(query.item_url(following or None, done=done), status_code=303)


def _version(form: FormData) -> int:
    value = str(form.get("version") or "")
    if not (value.isascii() and value.isdigit()) or len(value) > 9:
        raise invalid_field("version", "Send the review_version the item showed.")
    return int(value)


async def preview(request: Request) -> Response:
    """The corrected answer as the widget would show it, for the Preview button (htmx)."""
    form = await read_form(request)
    text = str(form.get("correction") or "")
    if len(text) > CORRECTION_MAX_CHARS:
        raise invalid_field("correction", TOO_LONG, limit=CORRECTION_MAX_CHARS)
    svc = services(request)
    language = page_language(request)
    html = corrected_html(text, language["locale"]) if text.strip() else None
    template = svc.templates.template("partials/_review_preview.html", language["locale"])
    return HTMLResponse(template.render(preview=html, **language))


async def live(request: Request) -> Response:
    """After a live event: the counts and the list again (new items arrive, handled ones
    leave), the open item kept; and a notice if the open item changed since it was shown."""
    svc = services(request)
    query = QueueQuery.parse(request.query_params)
    settings = svc.config.review
    counts, (items, more_url) = await asyncio.gather(
        worklist.read_counts(svc.db, settings, query), worklist.read_items(svc.db, settings, query)
    )
    moved: FeedbackView | None = None
    shown: FeedbackView | None = None
    if query.item:
        shown = await worklist.current_state(svc.db, query.item)
        seen = request.query_params.get("seen", "")
        if shown is not None and seen.isdigit() and shown.review_version != int(seen):
            moved = shown
    language = page_language(request)
    template = svc.templates.template("partials/_review_live.html", language["locale"])
    html = template.render(
        q=query,
        counts=counts,
        items=worklist.keep(items, shown, query, more=more_url is not None),
        more_url=more_url,
        selected=query.item,
        moved=moved,
        oob=True,
        **language,
    )
    return HTMLResponse(html)
