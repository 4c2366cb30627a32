"""``calendar_changed`` is sent after a year's schedule is committed. Apps that store deadlines
(appeals, applications) listen and recompute them; the calendar does not know who they are."""

from django.dispatch import Signal

# Sent with ``year``: the year whose holidays or make-up days changed.
calendar_changed = Signal()
