"""A home's bed mats: whether the person is lying in bed, and whether these mats can tell at all.

An occupancy mat is pressed for the night. Some mats only pulse for a second when the person moves
on them (house B of the van Kasteren recordings: a median press of one second, 19 of 4,670 presses
held for ten minutes or more, some of those stuck for days). Such a mat is a movement sensor on the
bed, and the home is judged as one without a bed mat (quiet in the bedroom learned apart, getting
up seen in the kitchen), or a stuck mat would hide every silence in the bedroom.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from detection.versioned import VersionedState
from telecare.domain import SensorEvent

# Mats with at least ``HOLDING`` of their presses held ``HELD`` or more show someone lying on them;
# judged once ``PRESSES_KNOWN`` presses were seen (until then a mat is taken at its word).
HELD, HOLDING, PRESSES_KNOWN = timedelta(minutes=10), 0.1, 20


class BedMats(VersionedState):
    """The mats pressed now, and what their presses so far say about them.

    Examples
    --------
    A mat held all night, then released at 07:00:

    >>> from datetime import UTC
    >>> from telecare.domain import DeviceType, Room
    >>> def mat(t, on, device="bed"):
    ...     return SensorEvent("h", device, DeviceType.BED, Room.BEDROOM, t, 1.0 if on else 0.0)
    >>> beds = BedMats()
    >>> beds.note(mat(datetime(2026, 1, 5, 23, tzinfo=UTC), True))
    >>> beds.pressed_now, beds.shows_lying
    (True, True)
    >>> beds.note(mat(datetime(2026, 1, 6, 7, tzinfo=UTC), False))
    >>> beds.pressed_now, beds.up_since.hour
    (False, 7)

    Twenty one-second pulses more (someone turning over on a movement mat): fewer than one press in
    ten held for ten minutes, so these mats do not show someone lying in bed.

    >>> for k in range(20):
    ...     beds.note(mat(datetime(2026, 1, 6, 8, k, tzinfo=UTC), True))
    ...     beds.note(mat(datetime(2026, 1, 6, 8, k, 1, tzinfo=UTC), False))
    >>> beds.shows_lying
    False
    """

    STATE_VERSION = 1

    def __init__(self) -> None:
        self.pressed: dict[str, datetime] = {}  # mat -> when its press began
        self.presses = self.holds = 0  # presses seen, and those held for ``HELD`` or more
        self.shows_lying = False  # the home has a mat that shows someone lying on it
        self.up_since: datetime | None = None  # all mats were released then (None: one is pressed)

    @property
    def pressed_now(self) -> bool:
        return bool(self.pressed)

    @property
    def only_pulse(self) -> bool:
        """The home's mats report, but only pulse when the person moves on them: a movement sensor
        on the bed, which goes on pulsing through a night's sleep."""
        return self.presses > 0 and not self.shows_lying

    def note(self, event: SensorEvent) -> None:
        """A bed mat pressed or released."""
        if event.active:
            self.pressed.setdefault(event.device, event.ts)
        else:
            began = self.pressed.pop(event.device, None)
            if began is not None:
                self.presses += 1
                self.holds += event.ts - began >= HELD
        self.shows_lying = self.presses < PRESSES_KNOWN or self.holds >= HOLDING * self.presses
        self.up_since = None if self.pressed else event.ts
