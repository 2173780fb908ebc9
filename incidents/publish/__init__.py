"""Publishing the public site as static snapshots to independent targets (docs/design.md)."""
