"""Every string marked for translation (templates and Python, as babel.cfg extracts them) has a
Spanish entry that is really Spanish: present, not fuzzy, not the English text, and with the
same placeholders; everything marked is extracted; and the Spanish addresses the reader as
"usted" throughout."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from memoai.translations import LOCALE_DIR
from memoai.web.rendering import STATIC_DIR, script_messages

ROOT = Path(__file__).resolve().parents[2]
# Words written the same in both languages, where the English text is the right Spanish.
SAME_IN_BOTH = frozenset({"PDF", "CSV", "JSON", "No", "Error", "Tokens"})
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def marked_messages() -> dict[str, tuple[str, ...]]:
    """msgid -> (msgid, msgid_plural?) of everything marked in src/, as `make messages` finds it."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config, "babel.cfg")
    found: dict[str, tuple[str, ...]] = {}
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT / "src"), method_map, options_map
    ):
        forms = (message,) if isinstance(message, str) else tuple(message)
        found[forms[0]] = forms
    return found


def test_every_text_the_scripts_mark_is_extracted() -> None:
    """Babel's JavaScript lexer can lose its way (a regular expression it takes for a division,
    a call inside a call's arguments): then a marked text would silently stay English."""
    extracted = set(script_messages())
    for script in sorted(STATIC_DIR.glob("*.js")):
        marked = set(re.findall(r'\b_\("((?:[^"\\]|\\.)*)"', script.read_text(encoding="utf-8")))
        assert marked <= extracted, (script.name, marked - extracted)
    assert "Sending your memo to the coach…" in extracted


def spanish() -> Catalog:
    with (LOCALE_DIR / "es" / "LC_MESSAGES" / "messages.po").open("rb") as stream:
        return read_po(stream, locale="es")


def test_the_extraction_finds_the_interface() -> None:
    found = marked_messages()
    assert len(found) > 80
    assert {"Write", "Get feedback", "Skip to main content"} <= found.keys()


def same_placeholders(text: str, forms: tuple[str, ...]) -> bool:
    """The translation names what the English names; a plural form may leave out the count
    (`num`), as English's singular does ("its version" / "all %(num)s versions")."""
    english = {name for form in forms for name in PLACEHOLDER.findall(form)}
    used = set(PLACEHOLDER.findall(text))
    return used <= english and english - used <= ({"num"} if len(forms) > 1 else set())


def problems(catalog: Catalog, messages: dict[str, tuple[str, ...]]) -> list[str]:
    found = []
    for msgid, forms in messages.items():
        entry = catalog.get(forms if len(forms) > 1 else msgid)
        if entry is None:
            found.append(f"no entry: {msgid!r}")
            continue
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if entry.fuzzy or not all(strings):
            found.append(f"untranslated or fuzzy: {msgid!r}")
        elif any(text in forms for text in strings) and msgid not in SAME_IN_BOTH:
            found.append(f"same as the English: {msgid!r}")
        elif not all(same_placeholders(text, forms) for text in strings):
            found.append(f"placeholders differ: {msgid!r}")
    return found


def test_every_marked_string_has_a_spanish_translation() -> None:
    found = problems(spanish(), marked_messages())
    assert not found, "\n".join(found)


def test_missing_untranslated_english_or_mismatched_entries_are_caught() -> None:
    catalog = spanish()
    messages = marked_messages()
    catalog["Write"].string = ""
    catalog["Get feedback"].string = "Get feedback"
    catalog["Go"].flags.add("fuzzy")
    catalog.delete("Theme")
    catalog["About %(topic)s"].string = "Acerca de"
    assert sorted(problems(catalog, messages)) == [
        "no entry: 'Theme'",
        "placeholders differ: 'About %(topic)s'",
        "same as the English: 'Get feedback'",
        "untranslated or fuzzy: 'Go'",
        "untranslated or fuzzy: 'Write'",
    ]


def test_every_text_python_marks_is_extracted() -> None:
    """Babel's Python extractor skips a marked text inside another call's arguments
    (`gettext(TABLE.get(code, N_("…")))`): such a text would silently stay English."""
    extracted = set(marked_messages())
    single = re.compile(r'\b(?:N_|_|gettext)\(\s*"((?:[^"\\]|\\.)*)"\s*[,)]')
    for source in sorted((ROOT / "src" / "memoai").rglob("*.py")):
        code = (line for line in source.read_text().splitlines() if "{{" not in line)  # not docs
        marked = {ast.literal_eval(f'"{m}"') for line in code for m in single.findall(line)}
        assert marked <= extracted, (source.name, marked - extracted)


# Words of the informal "tú" the catalog must not use: the interface addresses the reader as
# "usted" ("Redacte su memorando"). What a version or a page does is third person and stays.
INFORMAL = re.compile(
    r"\b(tú|tu|tus|ti|contigo|puedes|tienes|quieres|escribiste|enviaste|vuelve a intentarlo|"
    r"inténtalo|elige|espera a|guarda una copia|avisa|corrígelo|acórtalo|inicia sesión)\b",
    re.IGNORECASE,
)


def test_the_spanish_catalog_addresses_the_reader_as_usted() -> None:
    informal = []
    for message in spanish():
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        informal += [text for text in strings if text and INFORMAL.search(text)]
    assert not informal, "\n".join(informal)
