"""Census (村庄建档): importing households from CSV/XLSX with a preview, and editing them on the PAD."""
