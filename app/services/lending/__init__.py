"""Lending use cases: credit lines, drawdown, repayment, prepayment, end-of-day, the ledger."""
