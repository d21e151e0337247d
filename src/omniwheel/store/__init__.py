"""The content-addressed store: wheels downloaded once and unpacked once, by sha256.

``unpack`` turns one untrusted wheel into a verified, read-only directory; ``store`` names,
fetches and places those directories so concurrent processes share them safely.
"""
