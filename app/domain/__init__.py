"""Pure domain logic: no I/O, no ORM, no clock, no settings."""
