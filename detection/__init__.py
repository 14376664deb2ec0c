"""Detection: per-household monitors that turn events (in event time) into alert signals."""
