from tests.browser.conftest import Site


def test_explore(site: Site) -> None:
    tab = site.tab()
    tab.sign_in("cara")
    page = tab.go("/referrals/new")
    f = page.locator("form")
    print("forms", f.count())
    print("fieldsets", f.locator("fieldset").count())
    print("legend", page.locator("legend", has_text="Date of birth").count())
    fs = f.locator("fieldset").filter(has=page.locator("legend", has_text="Date of birth"))
    print("fs", fs.count())
    print(page.locator("fieldset").filter(has_text="Date of birth").count())
    print(
        page.locator("legend", has_text="Date of birth").evaluate(
            "e => e.parentElement.outerHTML"
        )[:800]
    )
