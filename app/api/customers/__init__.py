"""GraphQL for the signed-in borrower: `me` (masked identity, lines, loans, what is due, cards, the online offer) and their bank cards."""
