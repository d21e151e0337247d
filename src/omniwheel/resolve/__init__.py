"""Resolution: choosing, for every target of a lock, one version of each package it needs.

``candidates`` says which versions and wheels a group of targets may use; ``provider`` answers
resolvelib's questions for one group; ``matrix`` resolves the groups in a fixed order, reusing an
earlier group's answer where ``reuse`` proves it holds; ``conditions`` finds packages needed
only on some patch releases; ``explain`` and ``divergence`` put failures and differences into
words; ``prefetch`` warms the index client ahead of the resolver.  Nothing here does I/O itself:
pages and metadata come through the ``index_reader.IndexReader`` it is given (the index session,
or in-memory data in tests).
"""
