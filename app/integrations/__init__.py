"""Adapters to systems outside the bank: a Protocol, a deterministic sandbox and a real client each."""
