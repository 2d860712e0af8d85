"""thing-b: reports which third-party wheel version it runs with, using the shared library."""
import sys

import wheel

from common.greeting import greet


def main() -> int:
    print(greet("thing-b", [f"wheel {wheel.__version__}"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
