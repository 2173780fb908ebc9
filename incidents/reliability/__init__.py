"""The public reliability report (issue 21): uptime, incidents, and how they were handled.

- periods.py: months and quarters in UTC, as the URLs name them;
- figures.py: the figures, pure functions over stored timestamps;
- rows.py: the rows they are computed from, loaded in a few flat queries;
- report.py: figures per period, overall and per component;
- visibility.py: what an Admin made public.
"""
