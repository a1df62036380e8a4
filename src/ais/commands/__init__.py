"""Subcommands that belong to no single layer."""
