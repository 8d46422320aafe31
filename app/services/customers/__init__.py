"""The bank's customers: personal identifiers written encrypted, the app's home and cards, the e-archive."""
