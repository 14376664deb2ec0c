"""MQTT ingest: receive sensor messages, validate, de-duplicate, store, acknowledge after commit."""
