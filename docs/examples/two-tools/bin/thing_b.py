"""thing-b: reports which third-party package version it runs with, using the shared library."""
import sys

import pip

from common.greeting import greet


def main() -> int:
    print(greet("thing-b", [f"pip {pip.__version__} from {pip.__file__}"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
