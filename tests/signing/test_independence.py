"""``signing`` is a standalone library: importing it pulls in neither Flask nor eoffice."""

from __future__ import annotations

import subprocess
import sys


def test_no_flask_or_eoffice_imports() -> None:
    code = (
        "import sys, signing, signing.pki, signing.keys, signing.appearance, signing.sign, "
        "signing.validate, signing.__main__; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'eoffice')); "
        "print(','.join(bad))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == ""
