"""The shipped catalogs against what the templates and the app's Python use: extracted afresh
into a temporary .pot (as `make messages` does), every message must be in every language,
translated (no empty msgstr, nothing fuzzy), keep its placeholders, and be compiled into the
.mo the server reads."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from app.i18n.catalogs import LOCALE_DIR, SHIPPED
from tests.support import ROOT as PROJECT_ROOT

PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    pot = tmp_path_factory.mktemp("messages") / "messages.pot"
    command = [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg"]
    command += ["-k", "N_", "-k", "pgettext:1c,2", "--no-location", "-o", str(pot), "."]
    subprocess.run(command, cwd=PROJECT_ROOT, check=True, capture_output=True)
    with pot.open("rb") as file:
        return read_po(file)


def catalog(locale: str) -> Catalog:
    with (LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as file:
        return read_po(file, locale=locale)


def flat(message: Message) -> tuple[str | None, str, str]:
    """A message as comparable text, whichever reader made it (tuples or lists)."""
    ids = message.id if isinstance(message.id, list | tuple) else [message.id]
    strings = message.string if isinstance(message.string, list | tuple) else [message.string]
    return message.context, "\x00".join(ids), "\x00".join(strings)


def key(message: Message) -> tuple[str | None, str]:
    msgid = message.id[0] if isinstance(message.id, tuple) else message.id
    return message.context, msgid


def test_the_extraction_finds_the_pages_messages(extracted: Catalog) -> None:
    ids = {key(message)[1] for message in extracted if message.id}
    assert {"Like", "Dislike", "Send", "Provide Feedback", "Copy", "Sign in"} <= ids
    assert "This chat link has expired or is not valid. Ask for a new link." in ids  # from Python


@pytest.mark.parametrize("locale", SHIPPED)
def test_every_catalog_has_every_message_translated(extracted: Catalog, locale: str) -> None:
    shipped = catalog(locale)
    wanted = {key(message) for message in extracted if message.id}
    have = {key(message): message for message in shipped if message.id}
    assert sorted(wanted - set(have), key=str) == []
    unfinished = [
        key(message)
        for message in have.values()
        if message.fuzzy
        or not message.string
        or (isinstance(message.string, tuple) and not all(message.string))
    ]
    assert unfinished == []
    assert shipped.num_plurals == len(next(m for m in have.values() if m.pluralizable).string)


@pytest.mark.parametrize("locale", SHIPPED)
def test_translations_keep_their_placeholders(locale: str) -> None:
    broken = []
    for message in catalog(locale):
        if not message.id:
            continue
        source = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        allowed = {name for text in source for name in PLACEHOLDER.findall(text)}
        for text in strings:
            # A plural form may leave out the count ("يومان", "two days"), never add a name.
            if not set(PLACEHOLDER.findall(text)) <= allowed or (
                not message.pluralizable and set(PLACEHOLDER.findall(text)) != allowed
            ):
                broken.append((message.id, text))
    assert broken == []


@pytest.mark.parametrize("locale", SHIPPED)
def test_the_compiled_catalog_is_the_po_file(locale: str) -> None:
    with (LOCALE_DIR / locale / "LC_MESSAGES" / "messages.mo").open("rb") as file:
        compiled = {flat(m) for m in read_mo(file) if m.id}
    written = {flat(m) for m in catalog(locale) if m.id}
    assert compiled == written, "run `make messages` to compile the catalogs"


def test_arabic_uses_its_six_plural_forms() -> None:
    assert catalog("ar").num_plurals == 6
    assert Path(LOCALE_DIR / "ar" / "LC_MESSAGES" / "messages.mo").is_file()
