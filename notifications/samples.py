"""Sample data for notifications: `sample_context(template)`, a complete, realistic rendering
context for each template (the golden files and the definition tests render it), and the sample
recipients. It is one fictional case told for every template, so it stays one module (longer
than ~400 lines: data, not logic). Re-exported by notifications.testing.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from notifications.recipients import Recipients

SAMPLE_RECIPIENTS = Recipients(
    cmeo="cme@luton.example",
    mash="mash@luton.example",
    ehe_officer="ehe@luton.example",
    manager="cme-manager@luton.example",
    schools={"8212001": "office@ashfield-primary.luton.example"},
    las={"822": "cme@bedford.example"},
)
"""Addresses for every role; domains under the reserved `.example` TLD."""

SAMPLE_CHILD: Mapping[str, Any] = {
    "forename": "Amira",
    "surname": "Haddad",
    "date_of_birth": date(2015, 3, 12),
    "upn": "H801200001001",
    "address": "12 Example Road, Luton LU1 1AA",
}
"""The sample child (fictitious; the UPN is LAW.md's valid example)."""

_BASE: Mapping[str, Any] = {
    "case": {
        "ref": "CME-000042",
        "workflow": "school-referral",
        "workflow_title": "A school reports a missing pupil",
        "state": "received",
        "state_title": "Referral received",
        "priority": "high",
        "opened_on": date(2026, 11, 9),
        "school": "8212001",
        "school_name": "Ashfield Primary School",
        "first_absence_date": date(2026, 11, 2),
        "risk_flags": ["child_protection_plan", "domestic_abuse"],
        "risk_descriptions": ["Child protection plan", "Domestic abuse at home"],
        "reason": "Did not return after the October half term; the family is thought to have "
        "left the address.",
    },
    "child": SAMPLE_CHILD,
    "event": {
        "trigger": "open_case",
        "trigger_title": "Referral received",
        "actor": "Priya Shah (referrer)",
        "at": datetime(2026, 11, 9, 10, 15, tzinfo=UTC),
        "evidence": {},
    },
    "deadline": None,
    "authority": {
        "name": "Luton Borough Council",
        "cme_contact_name": "Sam Patel, Children Missing Education Officer",
        "cme_contact_email": "cme@luton.example",
        "cme_contact_phone": "01632 960123",
    },
    "extra": {},
}

_ESCALATED = {"state": "escalated_to_mash", "state_title": "Escalated to MASH"}
_UPLOAD = {
    "state": "lost_pupil_upload",
    "state_title": "Removed from roll - awaiting the lost-pupil CTF upload",
}
_TIMER = {
    "actor": "system:timer",
    "trigger": "deadline_reached",
    "trigger_title": "Deadline reached",
}
_CONCERN = {
    "concern": {
        "raised_at": datetime(2026, 11, 16, 9, 40, tzinfo=UTC),
        "raised_by": "Jane Smith",
        "summary": "A neighbour reports shouting at the address late at night and has not seen "
        "the child since 30 October.",
    }
}
_ESCALATION = {
    "kind": "concern",
    "reason": "a child-protection concern was raised by Jane Smith",
    "concern": "A neighbour reports shouting at the address late at night and has not seen "
    "the child since 30 October.",
    "raised_by": "Jane Smith",
    "escalated_by": "Jane Smith (caseworker)",
    "first_sent_at": datetime(2026, 11, 16, 10, 5, tzinfo=UTC),
    "send": 1,
    "resend": False,
    "ack_due_at": datetime(2026, 11, 17, 9, 0, tzinfo=UTC),
}
_PEOPLE = {
    "referrer_details": {
        "name": "Priya Shah",
        "organisation": "Ashfield Primary School",
        "email": "office@ashfield-primary.luton.example",
        "phone": "01632 960456",
    },
    "parents": ["Samira Haddad", "Karim Haddad"],
    "siblings": ["Yusuf Haddad"],
}
_LA_CHASE = {
    "la_send": 2,
    "la_first_sent_at": datetime(2026, 12, 3, 15, 20, tzinfo=UTC),
    "la_reply_due_on": date(2027, 2, 8),
}
_MASH_ACK = {
    "name": "mash_acknowledgement",
    "title": "MASH acknowledges the escalation",
    "due_on": date(2026, 11, 17),
    "school_days": None,
    "provisional": False,
}

_OVERRIDES: Mapping[str, Mapping[str, Any]] = {
    "referral_received": {
        "event": {
            "evidence": {
                "referral": {
                    "referred_by": "Ashfield Primary School",
                    "last_attended_on": date(2026, 10, 23),
                    "siblings_at_school": False,
                }
            }
        },
        "deadline": {
            "name": "case_stalled",
            "title": "The case moves on from this stage",
            "due_on": date(2026, 11, 11),
            "school_days": 2,
            "provisional": False,
        },
        "extra": {"referrer": "Ashfield Primary School"},
    },
    "missing_four_weeks": {
        "case": {"state": "home_visit_2", "state_title": "Second home visit made, no contact"},
        "event": {
            **_TIMER,
            "at": datetime(2026, 11, 30, 0, 0, tzinfo=UTC),
            "evidence": {"deadline": "missing_four_weeks", "due_on": date(2026, 11, 30)},
        },
        "deadline": {
            "name": "missing_four_weeks",
            "title": "Child missing education for over four weeks",
            "due_on": date(2026, 11, 30),
            "school_days": None,
            "provisional": False,
        },
    },
    "mash_escalation": {
        "case": _ESCALATED,
        "event": {
            "trigger": "escalate_to_mash",
            "trigger_title": "Escalate to MASH",
            "actor": "Jane Smith (caseworker)",
            "at": datetime(2026, 11, 16, 10, 5, tzinfo=UTC),
            "evidence": _CONCERN,
        },
        "deadline": _MASH_ACK,
        "extra": {"escalation": _ESCALATION, **_PEOPLE},
    },
    "escalation_unacknowledged": {
        "case": _ESCALATED,
        "event": {
            **_TIMER,
            "trigger": "resend_escalation",
            "trigger_title": "Escalation resent",
            "at": datetime(2026, 11, 17, 0, 0, tzinfo=UTC),
        },
        "deadline": {**_MASH_ACK, "due_on": date(2026, 11, 18)},
        "extra": {
            "first_sent_at": datetime(2026, 11, 16, 10, 5, tzinfo=UTC),
            "escalation_count": 2,
            "escalation": {
                **_ESCALATION,
                "send": 2,
                "resend": True,
                "ack_due_at": datetime(2026, 11, 18, 9, 0, tzinfo=UTC),
            },
            **_PEOPLE,
        },
    },
    "escalation_to_manager": {
        "case": _ESCALATED,
        "event": {
            **_TIMER,
            "trigger": "resend_escalation",
            "trigger_title": "Escalation resent",
            "at": datetime(2026, 11, 18, 0, 0, tzinfo=UTC),
        },
        "deadline": {**_MASH_ACK, "due_on": date(2026, 11, 19)},
        "extra": {
            "first_sent_at": datetime(2026, 11, 16, 10, 5, tzinfo=UTC),
            "escalation_count": 3,
            "escalation": {
                **_ESCALATION,
                "send": 3,
                "resend": True,
                "ack_due_at": datetime(2026, 11, 19, 9, 0, tzinfo=UTC),
            },
            **_PEOPLE,
        },
    },
    "mash_decision_overdue": {
        "case": {
            "state": "with_mash",
            "state_title": "Acknowledged by MASH - awaiting its decision",
        },
        "event": {
            **_TIMER,
            "trigger": "review_mash_decision",
            "trigger_title": "MASH's decision is overdue - the CMEO is told to follow it up",
            "at": datetime(2026, 11, 19, 0, 0, tzinfo=UTC),
        },
        "extra": {
            "escalation": _ESCALATION,
            "acknowledgement": {
                "by": "Chris Okafor",
                "at": datetime(2026, 11, 16, 16, 40, tzinfo=UTC),
                "recorded_by": "Sam Patel (cmeo)",
                "on_behalf": True,
                "received_via": "phone",
            },
            "reviews": 1,
            "review_due_on": date(2026, 11, 26),
        },
    },
    "pro_forma": {
        "case": _UPLOAD,
        "event": {
            "trigger": "remove_from_roll",
            "trigger_title": "Remove from roll",
            "actor": "Jane Smith (caseworker)",
            "at": datetime(2026, 12, 1, 14, 30, tzinfo=UTC),
            "evidence": {
                "pro_forma": {
                    "ground": "reg_9_1_i",
                    "reason": "20 school days of continuous unauthorised absence; three home "
                    "visits and the housing check found no trace of the family.",
                },
            },
        },
        "deadline": {
            "name": "ctf_upload_due",
            "title": "CTF uploaded to the lost-pupil area of School to School",
            "due_on": date(2026, 12, 22),
            "school_days": 15,
            "provisional": True,
            "provisional_reason": "no term dates loaded for 2026/27",
        },
        "extra": {
            "ground": "reg 9(1)(i): 20 school days of continuous unauthorised absence, with the "
            "school and the authority's joint reasonable enquiries having failed",
            "reason": "20 school days of continuous unauthorised absence; three home visits and "
            "the housing check found no trace of the family.",
            "removed_on": date(2026, 12, 1),
            "deletion_return": [
                ["Parents", "Rana Haddad, Karim Haddad"],
                ["Parents' address", "not known"],
                ["Emergency telephone", "not known"],
                ["Future address", "not known"],
                ["New school", "not known"],
            ],
        },
    },
    "ctf_overdue": {
        "case": _UPLOAD,
        "event": {
            **_TIMER,
            "at": datetime(2027, 1, 6, 0, 0, tzinfo=UTC),
            "evidence": {"deadline": "ctf_upload_due", "due_on": date(2027, 1, 6)},
        },
        "deadline": {
            "name": "ctf_upload_due",
            "title": "CTF uploaded to the lost-pupil area of School to School",
            "due_on": date(2027, 1, 6),
            "school_days": 15,
            "provisional": False,
        },
        "extra": {"removed_on": date(2026, 12, 1)},
    },
    "case_stalled": {
        "case": {
            "state": "enquiries",
            "state_title": "Reasonable enquiries",
            "caseworker_email": "jane.smith@luton.example",
        },
        "event": {
            **_TIMER,
            "at": datetime(2026, 11, 13, 0, 0, tzinfo=UTC),
            "evidence": {"deadline": "case_stalled", "due_on": date(2026, 11, 13)},
        },
        "deadline": {
            "name": "case_stalled",
            "title": "The case moves on from this stage",
            "due_on": date(2026, 11, 13),
            "school_days": 2,
            "provisional": False,
        },
        "extra": {"state_entered_on": date(2026, 11, 11)},
    },
    "ehe_handover": {
        "case": {
            "state": "home_education",
            "state_title": "Removed from roll for elective home education (reg 9(1)(f)) - with "
            "the EHE team",
        },
        "event": {
            "trigger": "record_home_education",
            "trigger_title": "Record home education",
            "actor": "Sam Patel (cmeo)",
            "at": datetime(2026, 11, 20, 11, 0, tzinfo=UTC),
            "evidence": {
                "home_education": {
                    "confirmed_in_writing": True,
                    "letter_received_on": date(2026, 11, 19),
                }
            },
        },
        "extra": {"confirmed_on": date(2026, 11, 19)},
    },
    "la_transfer": {
        "case": {"state": "tracking", "state_title": "CME tracking"},
        "event": {
            "trigger": "record_move_to_other_la",
            "trigger_title": "Record a move to another local authority",
            "actor": "Sam Patel (cmeo)",
            "at": datetime(2026, 12, 3, 15, 20, tzinfo=UTC),
            "evidence": {
                "move": {"other_la": "822", "source": "Housing Department records"},
            },
        },
        "deadline": {
            "name": "la_confirmation",
            "title": "The other authority confirms the child is in education",
            "due_on": date(2027, 1, 11),
            "school_days": 20,
            "provisional": False,
        },
        "extra": {
            "other_la": "822",
            "other_la_name": "Bedford Borough Council",
            "new_address": "4 Sample Close, Bedford MK40 1AA",
            **_LA_CHASE,
        },
    },
    "la_confirmation_overdue": {
        "case": {"state": "tracking", "state_title": "CME tracking"},
        "event": {
            **_TIMER,
            "at": datetime(2027, 1, 11, 0, 0, tzinfo=UTC),
            "evidence": {"deadline": "la_confirmation", "due_on": date(2027, 1, 11)},
        },
        "deadline": {
            "name": "la_confirmation",
            "title": "The other authority confirms the child is in education",
            "due_on": date(2027, 1, 11),
            "school_days": 20,
            "provisional": False,
        },
        "extra": {
            "other_la": "822",
            "other_la_name": "Bedford Borough Council",
            "notified_on": date(2026, 12, 3),
            **_LA_CHASE,
        },
    },
    "la_escalation_to_manager": {
        "case": {"state": "tracking", "state_title": "CME tracking"},
        "event": {
            **_TIMER,
            "at": datetime(2027, 1, 11, 0, 0, tzinfo=UTC),
            "evidence": {"deadline": "la_confirmation_again", "due_on": date(2027, 1, 11)},
        },
        "deadline": {
            "name": "la_confirmation_again",
            "title": "The other authority confirms the child is in education",
            "due_on": date(2027, 1, 11),
            "school_days": 20,
            "provisional": False,
        },
        "extra": {
            "other_la": "822",
            "other_la_name": "Bedford Borough Council",
            "notified_on": date(2026, 12, 3),
            **_LA_CHASE,
        },
    },
    "tracking_review": {
        "case": {"state": "tracking", "state_title": "CME tracking - the CMEO keeps looking"},
        "event": {
            **_TIMER,
            "trigger": "review_tracking",
            "trigger_title": "CME tracking review due - CMEO reminded",
            "at": datetime(2027, 1, 29, 0, 0, tzinfo=UTC),
            "evidence": {},
        },
        "extra": {"removed_on": date(2026, 12, 1)},
    },
    "school_age_ended": {
        "case": {"state": "tracking", "state_title": "CME tracking - the CMEO keeps looking"},
        "event": {
            **_TIMER,
            "at": datetime(2030, 6, 28, 23, 0, tzinfo=UTC),
            "evidence": {"deadline": "compulsory_school_age_ended", "due_on": date(2030, 6, 29)},
        },
        "deadline": {
            "name": "compulsory_school_age_ended",
            "title": "Child no longer of compulsory school age - CMEO told",
            "due_on": date(2030, 6, 29),
            "school_days": None,
            "provisional": False,
        },
        "extra": {"school_age_ended_on": date(2030, 6, 28)},
    },
    "delivery_failed": {
        "case": _ESCALATED,
        "event": {
            "trigger": "delivery_failed",
            "trigger_title": "Message not delivered",
            "actor": "system:outbox",
            "at": datetime(2026, 11, 16, 14, 12, tzinfo=UTC),
            "evidence": {},
        },
        "extra": {
            "template": "mash_escalation",
            "recipient_role": "mash",
            "recipient": "mash@luton.example",
            "error": "the mail gateway smtp.luton.example:587 refused the recipient "
            "mash@luton.example (550 5.1.1 mailbox unavailable)",
            "attempts": 1,
        },
    },
}


def sample_context(template: str) -> dict[str, Any]:
    """A complete context for `template`: the sample case, with that template's event,
    deadline and `extra`. A fresh deep copy each call, so a test may change it freely.

    Raises:
        KeyError: no sample for that template.
    """
    context = copy.deepcopy(dict(_BASE))
    for part, values in _OVERRIDES[template].items():
        if isinstance(values, Mapping) and isinstance(context.get(part), dict):
            context[part].update(copy.deepcopy(dict(values)))
        else:
            context[part] = copy.deepcopy(values)
    return context


def sample_templates() -> list[str]:
    """The templates `sample_context` knows, sorted."""
    return sorted(_OVERRIDES)
