"""Target platforms: the machines a lock is made for, described without being them.

``target`` models one target (OS, architecture, C library and its floor, macOS floor, CPython
version) and derives its wheel tags, marker environment, Julia triplet and canonical name;
``matrix`` expands what the user asked for into the list of targets to lock.  Only ``host``
(written separately) ever looks at the machine omniwheel runs on.
"""
