"""Alert states and the one table of allowed transitions. Nothing changes a status any other way."""

from __future__ import annotations

import enum


class AlertStatus(enum.StrEnum):
    TRIGGERED = "triggered"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    CLEARED = "cleared"  # the condition went away by itself (movement resumed)
    SILENCED = "silenced"  # recorded while a silence, away mode or maintenance window was on


class AlertAction(enum.StrEnum):
    TRIGGER = "trigger"
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"
    CLEAR = "clear"
    SILENCE = "silence"
    # Timeline entries that do not change the status (never in TRANSITIONS):
    NOTE = "note"
    ESCALATE = "escalate"  # an escalation step notified its recipients
    REMIND = "remind"  # acknowledged but still not resolved
    DELIVERY_FAILED = "delivery_failed"  # every channel of a contact failed: a problem to look at


class Outcome(enum.StrEnum):
    """What resolving found. Recorded on the alert and in its timeline."""

    GENUINE = "genuine"
    FALSE_ALARM = "false_alarm"
    NO_ACTION_NEEDED = "no_action_needed"
    OTHER = "other"


OPEN_STATUSES = frozenset({AlertStatus.TRIGGERED, AlertStatus.ACKNOWLEDGED})

TRANSITIONS: dict[tuple[AlertStatus | None, AlertAction], AlertStatus] = {
    (None, AlertAction.TRIGGER): AlertStatus.TRIGGERED,
    (None, AlertAction.SILENCE): AlertStatus.SILENCED,
    (AlertStatus.TRIGGERED, AlertAction.ACKNOWLEDGE): AlertStatus.ACKNOWLEDGED,
    (AlertStatus.TRIGGERED, AlertAction.RESOLVE): AlertStatus.RESOLVED,
    (AlertStatus.TRIGGERED, AlertAction.CLEAR): AlertStatus.CLEARED,
    (AlertStatus.TRIGGERED, AlertAction.SILENCE): AlertStatus.SILENCED,
    (AlertStatus.ACKNOWLEDGED, AlertAction.RESOLVE): AlertStatus.RESOLVED,
    (AlertStatus.ACKNOWLEDGED, AlertAction.CLEAR): AlertStatus.CLEARED,
    (AlertStatus.SILENCED, AlertAction.RESOLVE): AlertStatus.RESOLVED,
}


class TransitionError(ValueError):
    def __init__(self, status: AlertStatus | None, action: AlertAction) -> None:
        super().__init__(f"cannot {action.value} an alert that is {status or 'new'}")
        self.status, self.action = status, action


def next_status(status: AlertStatus | None, action: AlertAction) -> AlertStatus:
    """The status after ``action``, or ``TransitionError``.

    >>> next_status(AlertStatus.TRIGGERED, AlertAction.ACKNOWLEDGE)
    <AlertStatus.ACKNOWLEDGED: 'acknowledged'>
    >>> next_status(AlertStatus.RESOLVED, AlertAction.ACKNOWLEDGE)
    Traceback (most recent call last):
    ...
    alerts.lifecycle.TransitionError: cannot acknowledge an alert that is resolved
    """
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        raise TransitionError(status, action) from None
