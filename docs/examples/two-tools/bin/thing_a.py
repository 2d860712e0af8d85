"""thing-a: greets, using the shared library."""
import sys

from common.greeting import greet


def main() -> int:
    print(greet("thing-a", sys.argv[1:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
