"""Command modules: each defines `register(groups)` adding its Typer commands to the groups
`{"app", "case", "audit", "workflow"}` (or new sub-apps on `groups["app"]`). Keep imports at
module level light (typer only); import heavy modules inside commands, for a fast `--help`.
"""
