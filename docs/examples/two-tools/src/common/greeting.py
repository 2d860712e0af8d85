"""Library code shared by both executables."""


def greet(who: str, extra: list) -> str:
    suffix = f" ({', '.join(extra)})" if extra else ""
    return f"hello from {who}{suffix}"
