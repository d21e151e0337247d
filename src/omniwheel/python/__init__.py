"""Python interpreters: finding one that satisfies a lock on this machine."""
