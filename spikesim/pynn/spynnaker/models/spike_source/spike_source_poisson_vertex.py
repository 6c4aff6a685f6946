"""``DURATION_FOREVER``: the duration sPyNNaker reports for a Poisson rate that never ends
(``0xFFFFFFFF`` ms; ``pop.get("durations")`` returns it for segments given no duration)."""
DURATION_FOREVER = 0xFFFFFFFF
