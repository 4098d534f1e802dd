"""The `extra` keys of each template's context: those it requires (`TEMPLATE_EXTRAS`, checked
before rendering) and those it uses when present (`OPTIONAL_EXTRAS`)."""

from __future__ import annotations

from collections.abc import Mapping

from notifications.catalogue import TEMPLATES_DIR as TEMPLATES_DIR  # where the templates live

_ESCALATION: Mapping[str, str] = {
    "escalation": "dict: why the case went to MASH and which send this is "
    "(workflows.escalation_letters: kind, reason, concern, raised_by, escalated_by, "
    "first_sent_at, send, resend, ack_due_at)"
}
"""Every message to MASH, or about a MASH escalation, says why the case went there."""

TEMPLATE_EXTRAS: Mapping[str, Mapping[str, str]] = {
    "referral_received": {},
    "missing_four_weeks": {},
    "mash_escalation": _ESCALATION,
    "escalation_unacknowledged": _ESCALATION,
    "escalation_to_manager": _ESCALATION,
    "mash_decision_overdue": _ESCALATION,
    "pro_forma": {
        "ground": "str: the deletion ground and its clause, e.g. 'reg 9(1)(i): 20 school days "
        "of continuous unauthorised absence, joint enquiries failed'",
        "reason": "str: the reason the pro-forma states",
        "removed_on": "date: the day the pupil was removed from roll",
    },
    "ctf_overdue": {},
    "case_stalled": {"state_entered_on": "date: the day the case entered its current stage"},
    "ehe_handover": {},
    "la_transfer": {"other_la": "str: the other authority's LA number (a key of Recipients.las)"},
    "la_confirmation_overdue": {"other_la": "str: the other authority's LA number"},
    "la_escalation_to_manager": {"other_la": "str: the other authority's LA number"},
    "delivery_failed": {
        "template": "str: the template of the message that could not be delivered",
        "recipient_role": "str: the role it was for",
        "error": "str: why it failed, in operator words",
    },
    "tracking_review": {},
    "school_age_ended": {
        "school_age_ended_on": "date: the last day of compulsory school age (Education Act "
        "1996 s8(3): the last Friday in June of the school year the child turns 16)"
    },
}
"""The `extra` keys each template requires; rendering without one raises
`MissingTemplateVariable` naming it. Kept few on purpose: a notification about a child should
not fail for want of a detail the letter can do without (those are in `OPTIONAL_EXTRAS`)."""

OPTIONAL_EXTRAS: Mapping[str, Mapping[str, str]] = {
    "referral_received": {"referrer": "str: who referred (e.g. the school's name)"},
    "mash_escalation": {
        "escalation_count": "int: how many times it has now been sent (2 or more: a resend)",
        "first_sent_at": "datetime: when it was first sent",
        "referrer_details": "dict: the referrer's name, organisation, email, phone held",
        "parents": "list[str]: the parents' or carers' names held",
        "siblings": "list[str]: the other children at home",
    },
    "escalation_unacknowledged": {
        "escalation_count": "int: how many times it has now been sent",
        "first_sent_at": "datetime: when it was first sent",
        "referrer_details": "dict: the referrer's name, organisation, email, phone held",
        "parents": "list[str]: the parents' or carers' names held",
        "siblings": "list[str]: the other children at home",
    },
    "escalation_to_manager": {
        "escalation_count": "int: how many times it has now been sent",
        "first_sent_at": "datetime: when it was first sent",
        "referrer_details": "dict: the referrer's name, organisation, email, phone held",
        "parents": "list[str]: the parents' or carers' names held",
        "siblings": "list[str]: the other children at home",
    },
    "mash_decision_overdue": {
        "acknowledgement": "dict: by, at, recorded_by, on_behalf, received_via",
        "reviews": "int: how many reminders have gone since MASH acknowledged",
        "review_due_on": "date: when the next reminder falls due",
    },
    "ctf_overdue": {"removed_on": "date: the day the pupil was removed from roll"},
    "pro_forma": {
        "deletion_return": "list[(str, str)]: reg 13(4) particulars beyond the child's name "
        "and address (parents, their address and phone, future address, new school), each "
        "'not known' when the case does not hold it",
        "home_education": "bool: removed under reg 9(1)(f), the parent's written notice of "
        "home education",
    },
    "tracking_review": {"removed_on": "date: the day the pupil was removed from roll"},
    "ehe_handover": {"confirmed_on": "date: when the parents confirmed home education in writing"},
    "la_transfer": {
        "other_la_name": "str: the other authority's name (else its LA number is shown)",
        "new_address": "str: the child's address in the other authority, if known",
        "la_send": "int: which send of the notice this is (2 or more: a chase)",
        "la_first_sent_at": "datetime: when the other authority was first told",
        "la_reply_due_on": "date: by when the other authority is asked to confirm",
    },
    "la_confirmation_overdue": {
        "other_la_name": "str: the other authority's name",
        "notified_on": "date: when the other authority was told",
        "la_send": "int: which send of the notice this is (2 or more: a chase)",
        "la_first_sent_at": "datetime: when the other authority was first told",
        "la_reply_due_on": "date: by when the other authority is asked to confirm",
    },
    "la_escalation_to_manager": {
        "other_la_name": "str: the other authority's name",
        "notified_on": "date: when the other authority was told",
        "la_send": "int: which send of the notice this is (2 or more: a chase)",
        "la_first_sent_at": "datetime: when the other authority was first told",
        "la_reply_due_on": "date: by when the other authority is asked to confirm",
    },
    "delivery_failed": {
        "recipient": "str: the address it was for",
        "attempts": "int: how many times sending was tried",
    },
}
"""The `extra` keys a template uses when present (read with `extra.get`)."""
