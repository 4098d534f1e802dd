"""The application layer: what every door (CLI, scheduler, web pages, HTTP API) calls.

A door builds a `Principal` (who acts, in which role, through which door) once, from its own
identity source, and asks `permissions.authorize` before anything changes; refusals are typed
(`errors.ServiceRefusal`) and recorded in the access log here, once, for every door, as are
reads of a case. One module per area: `cases` (open, show, actions, advance, pause, resume),
`queue`, `replay` (history, replay), `verify` (chains, checkpoint), `export` (write and check
an export), `tick` (the scheduler's), `accounts`; read models in `views` (their `as_json()`
is the CLI's JSON contract); who acts in `principal`, `identity`, `permissions`.
"""
