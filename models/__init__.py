"""Published network models built on the spikesim API (installed as ``spikesim.models``)."""
