"""GraphQL for signing in: the borrower's SMS-code sign-in, token refresh and sign-out (officers sign in on the PAD)."""
