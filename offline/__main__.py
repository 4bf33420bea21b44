"""`python -m offline plan|check|diff ...`"""

import gc
import sys

from offline.cli import main

# One short run builds a large object graph that lives until exit (the SDK classes, the program's resources):
# the cyclic garbage collector would walk it again and again, and once more at interpreter exit, for no memory
# back. Off for the run and everything frozen before exit: a dev plan takes 1.7 s of CPU instead of 3.3 s, with
# the same peak memory (+1%).
gc.disable()
exit_code = main()
gc.freeze()
sys.exit(exit_code)
