"""Importing a Statuspage page through its management API v1 (docs/design.md, "Importing
from Statuspage").

- client.py: the paginated, rate-limit-honouring reads, over the SSRF-checked connection;
- clean.py: what a row from the source may hold before it is stored here;
- write.py: each resource written, once, with the map from Statuspage's ids to ours;
- history.py: the imported components' status history, for the uptime bars;
- run.py: a run from its checkpoint to its report.
"""
