"""The `iris` command: set-up, local service processes, health and (later) pipeline runs."""
