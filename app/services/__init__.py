"""Use cases: the only writers. Each is one async function called by both front doors."""
