"""What each reader may see (docs/design.md, "Audiences"): the viewer a request reads as,
and the one set of rules every public read path filters through."""
