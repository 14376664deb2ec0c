"""Alerts: lifecycle, grouping, and (with later issues) escalation and delivery."""
