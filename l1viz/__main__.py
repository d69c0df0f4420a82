import sys

from l1viz.cli import main

sys.exit(main())
