"""Exchanging data with other systems: safe XML and CSV reading and writing (`xmlsafe`,
`tabular`) and the Common Transfer File format (`ctf_format`). No use case lives here: the
services (cme/services/ctf.py, cme/services/register_import.py) call these."""
