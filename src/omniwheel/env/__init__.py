"""Environments: a venv made to match a lock for this machine, and commands run inside it.

``plan`` decides (purely) what the lock asks for here and what to link, fetch and remove;
``venv`` creates the venv and keeps its state file; ``install`` links wheels from the store
and executes a plan; ``run`` runs a command inside the environment.
"""
