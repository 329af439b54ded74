"""Every message a page shows has its Spanish and Arabic translation: the templates' messages
(extracted as `pybabel extract` does) and the desk's words kept in code, each in its area's
gettext domain (templates/<area>/ -> domain <area>; the top level -> "pages") or the shared one."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

from api.pages.customs_desk import FLAG_WORDS, HOLD_CAUSES, STATUS_WORDS
from api.pages.i18n import LANGUAGES, Translator, catalogue

TEMPLATES = Path(__file__).parents[2] / "api" / "pages" / "templates"
METHOD = [("**.html", "jinja2")]


def template_messages() -> dict[str, set[str]]:
    by_domain: dict[str, set[str]] = {}
    for filename, _line, message, _comments, _context in extract_from_dir(TEMPLATES, METHOD):
        area = Path(filename).parts[0] if len(Path(filename).parts) > 1 else "pages"
        if isinstance(message, str):
            by_domain.setdefault(area, set()).add(message)
    return by_domain


IN_CODE = {"customs": {*FLAG_WORDS.values(), *HOLD_CAUSES, *STATUS_WORDS.values()}}


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_every_page_message_is_translated(lang):
    messages = template_messages()
    assert "customs" in messages and "pages" in messages
    missing = []
    for domain, ids in messages.items():
        for message in sorted(ids | IN_CODE.get(domain, set())):
            found = catalogue(lang, domain).gettext(message)
            shared = catalogue(lang, "pages").gettext(message)
            if found == message and shared == message:
                missing.append(f"{domain}: {message!r}")
    assert not missing, f"untranslated in {lang}:\n" + "\n".join(missing)


def test_an_areas_domain_falls_back_to_the_shared_one_then_english():
    assert Translator("es", "customs")("Sign out") == "Cerrar sesión"  # from "pages"
    assert Translator("ar", "customs")("no such message") == "no such message"
    assert Translator("es", "customs")("older than %(hours)s h", hours=48) == "de más de 48 h"
