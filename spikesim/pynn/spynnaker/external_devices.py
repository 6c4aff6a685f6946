"""sPyNNaker's ``external_devices`` (live spike injection and output, robots, retinas, the
SpiNNaker link and Ethernet devices): none of them exists without a SpiNNaker board.

Every name raises ``NotImplementedError`` naming the call and why.
"""


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise NotImplementedError(f"sim.external_devices.{name}: live input/output and external "
                              "devices need a SpiNNaker machine; spikesim simulates on this "
                              "computer and has none")
