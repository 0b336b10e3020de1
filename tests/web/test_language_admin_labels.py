"""The Admin tab in Spanish beyond its fixed words: the audit log's stored codes shown as
labels in the reader's language (the codes themselves unchanged), and the Status section's
counts with Spanish plural forms."""

from __future__ import annotations

from pathlib import Path

from tests.web.dom import parse
from tests.web.test_admin_pages import HTMX
from tests.web.test_auth_pages import close_site, make_site, sign_in


async def test_audit_labels_and_status_counts_follow_the_readers_language(
    tmp_path: Path,
) -> None:
    site = await make_site(tmp_path, login_mode=True)
    try:
        await sign_in(site.browser, "ann", password="not ann's password")  # a failed sign-in
        site.browser.cookies.clear()
        await sign_in(site.browser, "root")
        await site.browser.get("/?tab=admin")

        english = parse((await site.browser.get("/ui/admin/audit", headers=HTMX)).text)
        site.browser.cookies.set("memoai_lang", "es")
        spanish = parse((await site.browser.get("/ui/admin/audit", headers=HTMX)).text)
        events = [
            [cell.text.strip() for cell in root.select("td", data_label=label)]
            for root, label in ((english, "Event"), (spanish, "Suceso"))
        ]
        assert "login" in events[0] and "inicio de sesión" in events[1]
        assert "wrong password" in english.text and "contraseña incorrecta" in spanish.text
        assert "failure" in english.text and "fallo" in spanish.text
        options = [o.attrs["value"] for o in spanish.select("option") if o.attrs.get("value")]
        assert "login" in options and "password_changed" in options  # the codes stay as stored

        status = await site.browser.get("/ui/admin/status", headers=HTMX)
        assert status.status_code == 200, status.text[:300]
        text = parse(status.text).text
        # root's own session (and ann's, if it is still live): one form or the other, never
        # an English or mismatched one.
        assert "sesión activa" in text or "sesiones activas" in text
        assert "1 sesiones" not in text and "active session" not in text
        site.browser.cookies.set("memoai_lang", "en")
        text = parse((await site.browser.get("/ui/admin/status", headers=HTMX)).text).text
        assert "active session" in text and "sesión" not in text
    finally:
        await close_site(site)
