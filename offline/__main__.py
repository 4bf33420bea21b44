"""`python -m offline plan|check ...`"""

import sys

from offline.cli import main

sys.exit(main())
