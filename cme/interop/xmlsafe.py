"""XML from outside, read without trusting it: no DTD, no entity, no external reference, no
network, a size cap, declared encodings only.

A document with a DOCTYPE is refused outright (it is the carrier of every entity attack: the
billion laughs, an external entity reading a local file); the parser is also set never to
resolve an entity, load a DTD or touch the network, so a refusal missed here still expands
nothing. Text must be UTF-8 (or what the XML declaration says and the bytes bear out); a
document that cannot be decoded is refused, naming the byte. Each refusal is an
`XmlRefused` naming the file and the rule.
"""

from __future__ import annotations

import re
from pathlib import Path

from lxml import etree

from cme.inputs import InputRefused, read_capped

MAX_XML_BYTES = 50 * 1024 * 1024 - 1
"""Under 50 MB: a CTF for one school's leavers is a few MB; 50 MB is refused."""
ENCODINGS = {"utf-8", "utf8", "us-ascii", "ascii"}
"""The encodings accepted: the CTF specification requires UTF-8 (ASCII is a subset)."""
_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")


class XmlRefused(InputRefused):
    """An XML document breaks a rule (the message names the file and the rule)."""


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_untrusted(path: Path | str, what: str = "FILE") -> etree._Element:
    """The root element of the XML document at `path`, read by the rules above.

    Raises:
        XmlRefused: too large, not UTF-8, a DOCTYPE or entity, or not well formed.
    """
    try:
        data = read_capped(path, what, MAX_XML_BYTES, " (50 MB is the most a CTF may be)")
    except InputRefused as exc:
        raise XmlRefused(str(exc)) from None
    return parse_bytes(data, f"{what}: {path}")


def parse_bytes(data: bytes, where: str) -> etree._Element:
    """Parse `data` (see `parse_untrusted`); `where` begins every refusal."""
    head = data[:4]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head:
        raise XmlRefused(f"{where} is UTF-16 or UTF-32: a CTF must be UTF-8")
    declared = _DECLARATION.match(data[:200])
    if declared is not None and declared.group(1).decode().lower() not in ENCODINGS:
        raise XmlRefused(
            f"{where} declares the encoding {declared.group(1).decode()!r}: a CTF must be UTF-8"
        )
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise XmlRefused(
            f"{where} is not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from None
    if re.search(rb"<!DOCTYPE|<!ENTITY", data, re.IGNORECASE):
        raise XmlRefused(
            f"{where} holds a DOCTYPE or an entity declaration: refused (a CTF has none, and "
            "they are how XML is made to expand or read other files)"
        )
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise XmlRefused(f"{where} is not well-formed XML ({exc.msg})") from None
    if root is None:
        raise XmlRefused(f"{where} holds no XML element")
    for node in root.iter():
        if isinstance(node, etree._Entity):
            raise XmlRefused(f"{where} holds an entity reference: refused")
    return root


def local(tag: object) -> str:
    """An element's name without its namespace (CTFs before 2011 carried one)."""
    text = str(tag)
    return text.rsplit("}", 1)[-1]


def child(parent: etree._Element | None, *names: str) -> etree._Element | None:
    """The first element down the path `names`, whatever its namespace, or None."""
    node = parent
    for name in names:
        if node is None:
            return None
        node = next((c for c in node if isinstance(c.tag, str) and local(c.tag) == name), None)
    return node


def children(parent: etree._Element | None, name: str) -> list[etree._Element]:
    """Every direct child element called `name`, whatever its namespace."""
    if parent is None:
        return []
    return [c for c in parent if isinstance(c.tag, str) and local(c.tag) == name]


def text_of(parent: etree._Element | None, *names: str) -> str | None:
    """The stripped text down the path `names` (None when missing or empty)."""
    node = child(parent, *names)
    if node is None or node.text is None:
        return None
    return node.text.strip() or None


def validate(root: etree._Element, xsd: Path) -> list[str]:
    """Each way `root` breaks the schema at `xsd` (empty: it validates). The schema is read
    with the same safe parser (no network)."""
    schema = etree.XMLSchema(etree.parse(str(xsd), _parser()))
    if schema.validate(root):
        return []
    # one line per error: "<source>:LINE:COLUMN:LEVEL:DOMAIN:TYPE: message"
    found = []
    for line in str(schema.error_log).splitlines():
        parts = line.split(":", 6)
        found.append(f"line {parts[1]}: {parts[6].strip()}" if len(parts) == 7 else line)
    return found


def to_bytes(root: etree._Element) -> bytes:
    """The document as UTF-8 with its declaration, indented."""
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
