"""The colour themes' stylesheet: the dark palette is the same whether chosen or followed from
the system, every chart colour has a themed custom property, and the page stylesheets draw
with custom properties rather than fixed colours (so the dark theme reaches everything)."""

from __future__ import annotations

import re
from pathlib import Path

from memoai.web.rendering import STATIC_DIR

ROOT = Path(__file__).resolve().parents[2]
THEME = (STATIC_DIR / "theme.css").read_text(encoding="utf-8")
HEX = re.compile(r"#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b")


def block(css: str, selector: str) -> dict[str, str]:
    """The custom properties set by the first rule with this selector."""
    start = css.index(selector + " {")
    body = css[start + len(selector) + 2 : css.index("}", start)]
    return dict(re.findall(r"(--[\w-]+):\s*([^;]+);", body))


def test_the_dark_palette_is_the_same_chosen_or_from_the_system() -> None:
    chosen = block(THEME, ':root[data-theme="dark"]')
    system = block(THEME, ':root:not([data-theme="light"])')
    assert chosen == system
    assert len(chosen) > 40
    light = block(THEME, ":root")
    app = block((STATIC_DIR / "app.css").read_text(encoding="utf-8"), ":root")
    assert set(chosen) - {"--shadow"} <= set(light) | set(app)  # every one has a light value


def test_every_chart_colour_is_themed() -> None:
    sources = [ROOT / "src/memoai/progress/svg.py", ROOT / "src/memoai/progress/charts.py"]
    colours = {c.lower() for path in sources for c in HEX.findall(path.read_text())}
    assert colours, "the charts draw with presentation attributes"
    for colour in colours:
        assert f'[fill="{colour}"]' in THEME, colour
        if colour != "#ffffff":  # the background is only ever filled
            assert f'[stroke="{colour}"]' in THEME, colour


def test_page_stylesheets_use_custom_properties_not_fixed_colours() -> None:
    for name in ("app.css", "admin.css", "auth.css", "chat.css", "progress.css"):
        css = (STATIC_DIR / name).read_text(encoding="utf-8")
        css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
        css = re.sub(r":root\s*\{[^}]*\}", "", css, count=1)  # the light palette itself
        css = css.split("@media print", 1)[0]  # paper is always light
        assert HEX.findall(css) == [], name
