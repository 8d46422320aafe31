"""Maker-checker (双人复核): pending commands, the registry of operation kinds, approvals that run once."""
