"""``python -m airhost`` runs the CLI."""

import sys

from airhost.cli import main

sys.exit(main())
