"""Test helpers shared by every suite: wheel builder, local index server, scenario loader."""
