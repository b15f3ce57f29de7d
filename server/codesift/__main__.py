"""``python -m codesift``: the same as the ``codesift`` command."""

import sys

from .cli import main

sys.exit(main())
