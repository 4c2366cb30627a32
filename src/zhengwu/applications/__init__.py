"""办件 — applications for a service item: online pre-review or window intake (一窗受理), the back
office's review and decision (受审分离), the result and its delivery (统一出件)."""
