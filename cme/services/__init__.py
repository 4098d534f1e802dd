"""The application layer: what every door (CLI, scheduler, web pages, HTTP API) calls.

A door builds a `Principal` (who acts, in which role, through which door) once, from its own
identity source, and asks `permissions.authorize` before anything changes; refusals are typed
(`errors.ServiceRefusal`) and recorded in the access log here, once, for every door. The use
cases themselves move here one by one (issue 14); today it holds identity, accounts and the
table of permissions.
"""
