"""The borrower's door: sign-in, cards, home and the drawdown journey of the mobile app."""
