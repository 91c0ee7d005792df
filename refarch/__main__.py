"""`python -m refarch` runs the CLI."""

import sys

from refarch.cli.app import main

sys.exit(main())
