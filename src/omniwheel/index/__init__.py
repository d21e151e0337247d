"""Package indexes: which one to use, and reading it.

``discovery`` decides which index the user means (command line, environment, project,
pip's configuration); ``client`` reads PEP 691 pages and wheel metadata from it, with
the HTTP cache in ``cache``, which also keeps pages and metadata parsed (``digest``) so
that a warm run does not parse them again.  An index URL may carry credentials: anything
meant for people or files uses its ``public_url``.
"""
