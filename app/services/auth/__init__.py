"""Sign-in: officers (passwords, sessions, branch scope, throttling) and borrowers (SMS code, device, tokens)."""
