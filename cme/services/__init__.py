"""The application layer: what every door (CLI, scheduler, web pages, HTTP API) calls.

A door builds a `Principal` (who acts, in which role, through which door) once, from its own
identity source, and calls one function per use case, which asks `permissions.authorize`
itself before anything changes (the CLI only parses, calls and prints); refusals are typed
(`errors.ServiceRefusal`) and recorded in the access log here, once, for every door, as are
reads of a case. One module per area: `cases` (open, show, actions, advance, pause, resume),
`queue`, `replay` (history, replay), `verify` (chains, checkpoint), `export` (write and check
an export), `tick` (the scheduler's), `accounts`, `retention` (legal hold, erasure),
`outbox` (retry), `migration` (workflow migrate), `calendars` (import, reproject), `admin`
(init, restore); read models in `views` (their `as_json()`
is the CLI's JSON contract); who acts in `principal`, `identity`, `permissions`.
"""
