"""``python -m aiotrain``: the same as the ``aiotrain`` command."""

import sys

from ._cli import main

sys.exit(main())
