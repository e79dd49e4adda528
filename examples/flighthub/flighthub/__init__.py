"""flighthub: the flight-booking example of DESIGN.md §12 on datashard tables."""
