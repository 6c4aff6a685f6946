"""sPyNNaker's data utilities (``spynnaker.pyNN.utilities``): :mod:`.neo_convertor`
(neo blocks to sPyNNaker's numpy tables) and :mod:`.neo_compare` (equality checks of
neo blocks)."""
from . import neo_compare, neo_convertor  # noqa: F401
