"""Prometheus metrics, defined once and shared by every part of the service (served at /metrics)."""

from prometheus_client import Counter, Gauge, Histogram

MESSAGES_RECEIVED = Counter("telecare_mqtt_messages_received_total", "MQTT messages received")
EVENTS_STORED = Counter("telecare_events_stored_total", "Sensor events committed to storage")
EVENTS_DUPLICATE = Counter("telecare_events_duplicate_total", "Duplicate events dropped")
EVENTS_LATE = Counter("telecare_events_late_total", "Events older than the device's last event")
MESSAGES_REJECTED = Counter(
    "telecare_messages_rejected_total", "Messages rejected, by reason", ["reason"]
)
MQTT_PUBLISH_REFUSED = Counter(
    "telecare_mqtt_publish_refused_total",
    "Publishes the embedded broker refused (a hub writing outside its own topics)",
)
INGEST_LAG = Histogram(
    "telecare_ingest_lag_seconds",
    "Time from receiving a message to committing it",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
INGEST_QUEUE = Gauge("telecare_ingest_queue_depth", "Messages received and not yet committed")
BATCH_SIZE = Histogram(
    "telecare_ingest_batch_size",
    "Messages per committed batch",
    buckets=(1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500),
)
STORAGE_RETRIES = Counter("telecare_ingest_storage_retries_total", "Batches retried after a DB error")
ALERTS_RAISED = Counter("telecare_alerts_raised_total", "Alerts raised, by kind", ["kind"])
ALERTS_CLEARED = Counter("telecare_alerts_cleared_total", "Alerts cleared, by kind", ["kind"])
DETECTION_ERRORS = Counter("telecare_detection_errors_total", "Detector failures (event kept)")
DELIVERY_ATTEMPTS = Counter(
    "telecare_delivery_attempts_total", "Notification delivery attempts, by result", ["result"]
)
NOTIFICATIONS_SENT = Counter("telecare_notifications_sent_total", "Notifications delivered")
NOTIFICATIONS_FAILED = Counter(
    "telecare_notifications_failed_total", "Notifications that failed on every channel"
)
