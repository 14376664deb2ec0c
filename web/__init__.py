"""The HTTP app: JSON API, health, metrics and the pages people use."""
