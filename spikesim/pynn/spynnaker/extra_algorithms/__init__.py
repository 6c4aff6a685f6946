"""sPyNNaker's ``spynnaker.pyNN.extra_algorithms``: only what scripts import (the splitters)."""
