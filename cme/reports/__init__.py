"""Reports: figures computed as of a moment from the event log (history.py), as documents
(build.py) rendered as md, html, csv or json (render.py, charts.py)."""
