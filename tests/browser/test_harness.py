"""The browser harness itself can fail: axe-core finds a violation put on a page, and the page's
Content-Security-Policy (no 'unsafe-inline') refuses an inline script, which the tab records."""

from __future__ import annotations

import pytest

from tests.browser.conftest import AccessibilityFailure, Site


def test_axe_core_reports_a_violation_and_the_tab_refuses_the_page(site: Site) -> None:
    tab = site.tab()
    page = tab.go("/sign-in")
    page.evaluate(
        """() => {
            const field = document.createElement('input');
            field.type = 'text';
            document.querySelector('main').appendChild(field);
            const picture = document.createElement('img');
            picture.src = 'data:image/gif;base64,R0lGODlhAQABAAAAACw=';
            document.querySelector('main').appendChild(picture);
        }"""
    )

    found = tab.violations()

    assert any(line.strip().startswith("label ") for line in found), found
    assert any(line.strip().startswith("image-alt ") for line in found), found
    with pytest.raises(AccessibilityFailure):
        tab.arrive()
    tab.checked.add(page.url)  # the page was checked (and failed, as it should)


def test_an_inline_script_is_refused_by_the_policy_and_recorded(site: Site) -> None:
    tab = site.tab()
    page = tab.go("/sign-in")

    page.evaluate(
        """() => {
            const s = document.createElement('script');
            s.textContent = 'window.injected = true';
            document.body.appendChild(s);
        }"""
    )
    page.wait_for_timeout(200)

    assert page.evaluate("() => window.injected === true") is False
    assert any("Content Security Policy" in e for e in tab.console_errors), tab.console_errors
    tab.console_errors.clear()  # seen, and expected here
