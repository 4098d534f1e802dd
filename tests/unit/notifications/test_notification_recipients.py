"""Who each template goes to, the recipients file, and the domain allow-list."""

from __future__ import annotations

from pathlib import Path

import pytest

from notifications.errors import RecipientNotAllowed, RecipientsFileError
from notifications.recipients import (
    TEMPLATE_RECIPIENTS,
    AllowList,
    Recipients,
    load_recipients_file,
)
from notifications.testing import SAMPLE_RECIPIENTS, sample_context


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("referral_received", [("cmeo", "cme@luton.example")]),
        ("missing_four_weeks", [("cmeo", "cme@luton.example")]),
        ("mash_escalation", [("mash", "mash@luton.example")]),
        ("escalation_unacknowledged", [("cmeo", "cme@luton.example")]),
        ("escalation_to_manager", [("manager", "cme-manager@luton.example")]),
        ("pro_forma", [("cmeo", "cme@luton.example")]),
        (
            "ctf_overdue",
            [("school", "office@ashfield-primary.luton.example"), ("cmeo", "cme@luton.example")],
        ),
        ("case_stalled", [("caseworker", "jane.smith@luton.example")]),
        ("ehe_handover", [("ehe_officer", "ehe@luton.example")]),
        ("la_transfer", [("other_la", "cme@bedford.example")]),
        ("la_confirmation_overdue", [("cmeo", "cme@luton.example")]),
        ("la_escalation_to_manager", [("manager", "cme-manager@luton.example")]),
        ("delivery_failed", [("cmeo", "cme@luton.example")]),
    ],
)
def test_each_template_goes_to_the_roles_process_md_names(
    template: str, expected: list[tuple[str, str]]
) -> None:
    """PROCESS.md "Notifications", plus the escalation ladder and the CMEO alerts."""
    assert SAMPLE_RECIPIENTS.resolve(template, sample_context(template)) == expected


def test_every_template_has_its_recipient_roles() -> None:
    """The table covers every template."""
    assert len(TEMPLATE_RECIPIENTS) == 16


def test_a_stalled_case_without_a_caseworker_address_goes_to_the_cmeo() -> None:
    """The CMEO is the caseworker in chart 1, and is told when nobody else can be."""
    context = sample_context("case_stalled")
    del context["case"]["caseworker_email"]

    assert SAMPLE_RECIPIENTS.resolve("case_stalled", context) == [
        ("caseworker", "cme@luton.example")
    ]


def test_roles_without_an_address_are_skipped_and_reported() -> None:
    """An unknown school and an unconfigured CMEO leave nothing to send, and say so."""
    recipients = Recipients(mash="mash@luton.example")
    context = sample_context("ctf_overdue")
    context["case"]["school"] = "8219999"

    assert recipients.resolve("ctf_overdue", context) == []
    assert recipients.missing("ctf_overdue", context) == ["school", "cmeo"]


def test_an_other_la_not_in_the_table_is_reported_missing() -> None:
    """A move to an authority we hold no address for cannot be sent; it is reported."""
    context = sample_context("la_transfer")
    context["extra"]["other_la"] = "999"

    assert SAMPLE_RECIPIENTS.missing("la_transfer", context) == ["other_la"]


def test_the_same_address_for_two_roles_gets_one_message() -> None:
    """A school whose CME contact is the CMEO's mailbox is not written to twice."""
    recipients = Recipients(cmeo="cme@luton.example", schools={"8212001": "CME@luton.example"})

    assert recipients.resolve("ctf_overdue", sample_context("ctf_overdue")) == [
        ("school", "CME@luton.example")
    ]


def test_the_recipients_file_is_read_with_numbers_as_their_digits(tmp_path: Path) -> None:
    """YAML reads an unquoted 822 as a number; it is the LA number "822"."""
    path = tmp_path / "recipients.yaml"
    path.write_text(
        "cmeo: cme@luton.gov.uk\n"
        "schools:\n  8212001: office@ashfield.luton.sch.uk\n"
        "las:\n  822: cme@bedford.gov.uk\n  '823': cme@centralbedfordshire.gov.uk\n",
        encoding="utf-8",
    )

    loaded = load_recipients_file(path)

    assert loaded == Recipients(
        cmeo="cme@luton.gov.uk",
        schools={"8212001": "office@ashfield.luton.sch.uk"},
        las={"822": "cme@bedford.gov.uk", "823": "cme@centralbedfordshire.gov.uk"},
    )


def test_an_empty_recipients_file_configures_nobody(tmp_path: Path) -> None:
    """Nothing configured is a valid (if quiet) configuration."""
    path = tmp_path / "recipients.yaml"
    path.write_text("", encoding="utf-8")

    assert load_recipients_file(path) == Recipients()


def test_an_unknown_key_in_the_recipients_file_is_refused_with_the_allowed_ones(
    tmp_path: Path,
) -> None:
    """Strict keys: a typo is an error, not a silently ignored school table."""
    path = tmp_path / "recipients.yaml"
    path.write_text("school: {}\n", encoding="utf-8")

    with pytest.raises(RecipientsFileError) as caught:
        load_recipients_file(path)

    assert str(caught.value) == (
        f"{path}: unknown key(s) school; allowed: cmeo, ehe_officer, las, manager, mash, schools"
    )


@pytest.mark.parametrize(
    "content",
    [
        "las: {822: not-an-address}\n",
        "las: {822: [a@b.example]}\n",
        "cmeo: 'Sam <sam@luton.example>'\n",
        "schools: [a@b.example]\n",
        "- just a list\n",
        "cmeo: [unclosed\n",
    ],
)
def test_a_malformed_recipients_file_is_refused(tmp_path: Path, content: str) -> None:
    """Every value is one plain address; the top level and the tables are mappings."""
    path = tmp_path / "recipients.yaml"
    path.write_text(content, encoding="utf-8")

    with pytest.raises(RecipientsFileError):
        load_recipients_file(path)


def test_a_missing_recipients_file_is_reported(tmp_path: Path) -> None:
    """The error names the file."""
    with pytest.raises(RecipientsFileError, match="nope.yaml: cannot read the file"):
        load_recipients_file(tmp_path / "nope.yaml")


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("cme@luton.gov.uk", True),
        ("CME@LUTON.GOV.UK", True),
        ("office@ashfield.luton.gov.uk", True),
        ("Sam Patel <sam@luton.gov.uk>", True),
        ("mash@nhs.net", True),
        ("x@evilluton.gov.uk", False),
        ("x@luton.gov.uk.evil.example", False),
        ("x@gov.uk", False),
        ("x@luton.gov.uk@evil.example", False),
        ("not an address", False),
        ("", False),
    ],
)
def test_the_allow_list_admits_listed_domains_and_their_subdomains_only(
    address: str, allowed: bool
) -> None:
    """Exact domain or a subdomain, case-insensitive; anything odd is refused."""
    allow = AllowList(frozenset({"Luton.gov.uk", "@nhs.net."}))

    assert allow.is_allowed(address) is allowed


def test_an_empty_allow_list_admits_nothing_and_says_it_is_not_configured() -> None:
    """Unconfigured means safe: no personal data goes anywhere."""
    with pytest.raises(RecipientNotAllowed) as caught:
        AllowList(frozenset()).check("cme@luton.gov.uk")

    assert str(caught.value) == (
        "the mail domain allow-list is empty (not configured), so nothing may be sent to "
        "luton.gov.uk; configure the allowed domains"
    )


def test_a_domain_off_the_allow_list_is_refused_naming_the_list() -> None:
    """The operator sees what is allowed and what was refused."""
    with pytest.raises(RecipientNotAllowed) as caught:
        AllowList(frozenset({"luton.gov.uk"})).check("someone@gmail.example")

    assert caught.value.recipient == "someone@gmail.example"
    assert str(caught.value) == (
        "the domain gmail.example is not on the allow-list (luton.gov.uk); personal data is "
        "sent only to listed domains"
    )


def test_a_template_nobody_could_receive_is_not_wanted_and_one_somebody_could_is() -> None:
    nobody = Recipients()
    mash_only = Recipients(mash="mash@luton.example")
    schools = Recipients(schools={"8212001": "office@ashfield-primary.luton.example"})

    assert not nobody.may_address("mash_escalation")
    assert mash_only.may_address("mash_escalation")
    assert not mash_only.may_address("referral_received")  # the CMEO has no address
    assert schools.may_address("ctf_overdue") and not nobody.may_address("ctf_overdue")
    assert not nobody.may_address("la_transfer")
    assert Recipients(las={"822": "cme@bedford.example"}).may_address("la_transfer")
    # a case may name its own caseworker, so the stalled-case reminder is always wanted
    assert nobody.may_address("case_stalled")
    # every template's answer with every role configured is yes
    assert all(SAMPLE_RECIPIENTS.may_address(t) for t in TEMPLATE_RECIPIENTS)


def test_a_template_for_fixed_roles_only_is_addressed_alike_for_every_case() -> None:
    """`case_free`: the renderer keeps such a template's addressing (a catch-up addresses the
    same MASH letter thousands of times); a school's, a caseworker's or another LA's is not."""
    recipients = Recipients(cmeo="cme@luton.example")
    free = {t for t in TEMPLATE_RECIPIENTS if recipients.case_free(t)}

    assert {"mash_escalation", "delivery_failed", "referral_received"} <= free
    assert not free & {"ctf_overdue", "case_stalled", "la_transfer", "no_such_template"}
    for template in free:
        context = sample_context(template)
        bare = {**context, "case": {}, "extra": {}}
        assert recipients.addressing(template, bare) == recipients.addressing(template, context)


def test_the_kept_addressing_follows_a_change_of_recipients() -> None:
    from notifications.rendering import TemplateRenderer

    renderer = TemplateRenderer(Recipients())
    context = sample_context("mash_escalation")
    [unaddressed] = renderer.render("mash_escalation", context)
    renderer.recipients = Recipients(mash="mash@luton.example")
    [addressed] = renderer.render("mash_escalation", context)

    assert (unaddressed.recipient, addressed.recipient) == ("", "mash@luton.example")
