"""Create the Prefect Automation that notifies on substantive changes (as shown in the README).

    PREFECT_API_URL=http://127.0.0.1:4200/api .venv/bin/python deployments/automation.py BLOCK

BLOCK names a notification block made in the Prefect UI (Blocks: Slack Webhook, Email, ...);
without it the automation is created with a "do nothing" action to be edited in the UI.

The notification is rendered by Prefect (Jinja, sandboxed) from the triggering event, whose
payload carries the clausewatch CloudEvent: SUBJECT and BODY name its fields one by one, so the
message reads as text (counts as "1 added, 2 modified"), never as a Python dict.
"""

from __future__ import annotations

import sys

from prefect.automations import Automation, DoNothing, EventTrigger, Posture, SendNotification
from prefect.blocks.core import Block

SUBJECT = "{{ event.resource.name }} changed"
BODY = """\
{%- set ce = event.payload.cloudevent -%}
{%- set d = ce.data -%}
{{ d.document.entity }}: {{ d.document.title or ce.subject }} ({{ d.document.type }}) changed \
({{ d.change_class }}).
Clauses: {% for kind, n in d.summary.items() if n %}{{ n }} {{ kind }}\
{{ ", " if not loop.last }}{% else %}no clause counts{% endfor %}\
{{ " (the event lists the first 50)" if d.truncated }}
Version {{ d.previous.version }} ({{ d.previous.captured_at }}) -> \
version {{ d.current.version }} ({{ d.current.captured_at }})
Page: {{ d.document.url }}
Document: {{ ce.subject }}, manifest sha256:{{ d.current.manifest }}
History: clausewatch history {{ ce.subject }}"""


def main(block_name: str | None = None) -> None:
    if block_name:
        block = Block.load(block_name)
        action = SendNotification(
            block_document_id=block._block_document_id,
            subject=SUBJECT,
            body=BODY,
        )
    else:
        action = DoNothing()
    automation = Automation(
        name="clausewatch: substantive change",
        description="Notify when the words of a monitored policy change.",
        trigger=EventTrigger(
            expect={"dev.clausewatch.document.changed"},
            match={"prefect.resource.id": "clausewatch.document.*"},
            posture=Posture.Reactive,
            threshold=1,
        ),
        actions=[action],
    )
    print(automation.create().id)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
