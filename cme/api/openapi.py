"""The OpenAPI document kept in the repository (`docs/openapi.json`), so that other systems can
be written against it and a change to the API shows in review.

    python -m cme.api.openapi            write docs/openapi.json from the code (`make openapi`)
    python -m cme.api.openapi --check    exit 1 if docs/openapi.json differs from the code
    (either takes another file after the flags)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

KEPT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def current() -> dict[str, Any]:
    """The document the code serves at `/api/v1/openapi.json`."""
    from cme.api import create_api, document
    from cme.bootstrap import build_app

    return document(create_api(build_app()))


def render(doc: dict[str, Any]) -> str:
    """The document as kept: two-space indents, a final newline."""
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    """Write, or with `--check` compare, the kept document (or the file named)."""
    files = [a for a in argv if not a.startswith("--")]
    kept = Path(files[0]) if files else KEPT
    text = render(current())
    if "--check" in argv:
        if not kept.exists() or kept.read_text(encoding="utf-8") != text:
            sys.stderr.write(f"{kept} differs from the code: run `make openapi`\n")
            return 1
        return 0
    kept.write_text(text, encoding="utf-8")
    sys.stdout.write(f"wrote {kept}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
