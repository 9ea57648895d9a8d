"""Headless subcommands: every studio action has a command-line twin here."""
