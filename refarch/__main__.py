"""`python -m refarch` runs the CLI."""

import sys

from refarch.cli import main

sys.exit(main())
