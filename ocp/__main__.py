import sys

from ocp.cli import main

sys.exit(main())
