"""Commands registered by later changes."""
