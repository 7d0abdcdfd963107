"""Northwind AI Acceptable Use Policy content. Identical text in all versions."""

from __future__ import annotations

from clausewatch.demo.model import Policy, Section, bullets, para, section, sub

INTRO = (
    para(
        "This Acceptable Use Policy describes what you may and may not do with "
        "Northwind AI's Services. It applies to everyone who uses the Services, "
        "including through our API and through products built by our customers, "
        "and it forms part of our [Terms of Service](/terms)."
    ),
)


def _scope() -> Section:
    return section(
        "scope",
        "Who this policy applies to",
        para(
            "This policy applies to you and to anyone who uses the Services through "
            "your account. If you build a product on the Services, you are "
            "responsible for making sure your end users also follow this policy."
        ),
    )


def _prohibited() -> Section:
    return section(
        "prohibited-uses",
        "Prohibited uses",
        para("You may not use the Services to create, facilitate or promote any of the following."),
        sub("Illegal and harmful activity"),
        bullets(
            "Any activity that violates applicable law, including export control "
            "and sanctions laws.",
            "Content that sexually exploits or endangers children.",
            "Instructions for building weapons capable of mass casualties, including "
            "biological, chemical, nuclear or radiological weapons.",
            "Threats, harassment or incitement to violence against any person or group.",
        ),
        sub("Security and abuse"),
        bullets(
            "Writing or distributing malware, or gaining unauthorized access to computer systems.",
            "Interfering with or disrupting the Services, including by overloading "
            "our infrastructure.",
            "Bypassing safety filters or usage limits, or helping others to do so.",
        ),
        sub("Deception and manipulation"),
        bullets(
            "Impersonating a person or organization without clear disclosure.",
            "Generating spam, fake reviews or coordinated inauthentic behavior.",
            "Creating material designed to mislead voters about when, where or how to vote.",
        ),
    )


def _high_risk() -> Section:
    return section(
        "high-risk-uses",
        "High-risk uses",
        para(
            "Some uses are allowed only if a qualified person reviews the Outputs "
            "before anyone acts on them. These include:"
        ),
        bullets(
            "Medical diagnosis or treatment recommendations.",
            "Legal advice given to a specific person about their situation.",
            "Decisions about credit, employment, housing or insurance.",
        ),
        para(
            "If you offer the Services to others in these areas, you must tell your "
            "users that they are interacting with an AI system and explain its "
            "limitations."
        ),
    )


def _disclosure() -> Section:
    return section(
        "disclosure",
        "Disclosing AI-generated content",
        para(
            "Do not present Outputs as written by a human when a reasonable person "
            "would want to know otherwise. If you publish Outputs at scale, label "
            "them as AI-generated."
        ),
    )


def _automated_access() -> Section:
    return section(
        "automated-access",
        "Automated access and rate limits",
        para(
            "Use the Northwind API, not scripts that drive the assistant's web "
            "interface, for automated access. Respect the rate limits described in "
            "our [API documentation](/docs/rate-limits), and do not create multiple "
            "accounts to avoid them."
        ),
    )


def _reporting() -> Section:
    """Inserted by JavaScript after load; absent from the served HTML."""
    return section(
        "reporting",
        "Reporting violations",
        para(
            "If you see content or behavior that you think breaks this policy, "
            "please tell us. You can report it:"
        ),
        bullets(
            "With the Report button next to any response in the assistant.",
            "By emailing abuse@northwind-ai.example with a description and any relevant links.",
            "Through our [safety reporting form](/contact).",
        ),
        para(
            "We review every report. We will not reveal who made a report to the "
            "person it concerns, unless the law requires us to."
        ),
    )


def _enforcement() -> Section:
    return section(
        "enforcement",
        "Enforcement",
        para(
            "If we believe you have violated this policy, we may take action that "
            "is proportionate to the violation, including:"
        ),
        bullets(
            "Warning you and asking you to change your use.",
            "Removing content or disabling a feature for your account.",
            "Suspending or terminating your account under our Terms of Service.",
            "Reporting illegal activity to the appropriate authorities.",
        ),
        para(
            "If you think we made a mistake, you can appeal by replying to the "
            "enforcement notice within 30 days."
        ),
    )


def _changes() -> Section:
    return section(
        "changes",
        "Changes to this policy",
        para(
            "We may update this policy as new risks and technologies emerge. We will "
            'post the updated policy on this page and change the "Last updated" date.'
        ),
    )


def _contact() -> Section:
    return section(
        "contact",
        "Contact",
        para("Questions about this policy can be sent to safety@northwind-ai.example."),
    )


def acceptable_use_policy(version: int) -> Policy:
    """Return the Acceptable Use Policy; the text is the same in every version."""
    del version  # unchanged across versions; only page noise differs
    return Policy(
        heading="Acceptable Use Policy",
        last_updated="January 20, 2025",
        intro=INTRO,
        sections=(
            _scope(),
            _prohibited(),
            _high_risk(),
            _disclosure(),
            _automated_access(),
            _enforcement(),
            _changes(),
            _contact(),
        ),
        deferred=_reporting(),
        deferred_before="enforcement",
    )
