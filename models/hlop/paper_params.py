"""The parameters of the authors' permuted-MNIST protocol (pkuxmq/HLOP-SNN, commit 530b89a),
each with where it stands in their code; :mod:`.paper` documents them and runs the protocol.
No torch here, so the table can be read without the ``learn`` extra."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

_SRC = "pkuxmq/HLOP-SNN@530b89a "
#: name -> (the authors' value, where it is in their code)
PAPER_PARAMS = {
    "tasks": (10, _SRC + "dataloader/pmnist.py L16; spiking_train_pmnist.py L169"),
    "train_samples": (60000, _SRC + "dataloader/pmnist.py L28 (MNIST train=True)"),
    "test_samples": (10000, _SRC + "dataloader/pmnist.py L30 (MNIST train=False)"),
    "mean": (0.1307, _SRC + "dataloader/pmnist.py L25"),
    "std": (0.3081, _SRC + "dataloader/pmnist.py L26"),
    "seed": (2022, _SRC + "spiking_train_pmnist.py L22, L167"),
    "hidden": (800, _SRC + "spiking_train_pmnist.py L239 (n_hidden=800)"),
    "bias": (False, _SRC + "models/spiking_mlp_hlop.py L51-52, L72 (bias=False)"),
    "T": (20, _SRC + "spiking_train_pmnist.py L144 (-timesteps)"),
    "Vth": (0.3, _SRC + "spiking_train_pmnist.py L145 (-Vth)"),
    "train_Vth": (True, _SRC + "spiking_train_pmnist.py L149 (-train_Vth 1)"),
    "Vth_bound": (0.0005, _SRC + "spiking_train_pmnist.py L150"),
    "tau": (1.0, _SRC + "spiking_train_pmnist.py L146"),
    "delta_t": (0.05, _SRC + "spiking_train_pmnist.py L147"),
    "alpha": (0.3, _SRC + "spiking_train_pmnist.py L148"),
    "reset": ("subtract", _SRC + "modules/neuron_dsr.py LIFFunction.forward (u -= Vth)"),
    "optimizer": ("SGD", _SRC + "spiking_train_pmnist.py L118, L257-258 (no momentum)"),
    "lr": (0.1, _SRC + "spiking_train_pmnist.py L119"),
    "lr_step_size": (100, _SRC + "spiking_train_pmnist.py L121 (StepLR)"),
    "lr_gamma": (0.1, _SRC + "spiking_train_pmnist.py L122"),
    "batch_size": (64, _SRC + "spiking_train_pmnist.py L110 (-b)"),
    "epochs": (1, _SRC + "spiking_train_pmnist.py L111"),
    "lateral_first": ((80, 200, 100), _SRC + "spiking_train_pmnist.py L175 (hlop_out_num)"),
    "lateral_inc": ((70, 70, 70), _SRC + "spiking_train_pmnist.py L176 (hlop_out_num_inc)"),
    "lateral_dec": (20, _SRC + "spiking_train_pmnist.py L243-246 (-20 when task % 3 == 0)"),
    "hebb_lr": ((0.001, 0.01, 0.01), _SRC + "models/spiking_mlp_hlop.py L63-64, L66"),
    "hebb_iters": (5, _SRC + "modules/hlop_module.py forward_with_update(iteration=5)"),
    "hebb_momentum": (0.9, _SRC + "modules/hlop_module.py L20 (self.m = 0.9)"),
    "hebb_clamp": (10.0, _SRC + "modules/hlop_module.py update_weights (clamp -10, 10)"),
    "hebb_start_epoch": (0, _SRC + "spiking_train_pmnist.py L127 (-hlop_start_epochs)"),
    "hlop_spiking": (False, _SRC + "spiking_train_pmnist.py L154 (store_true)"),
}

#: EWC penalty of the paper protocol's EWC baseline (not the authors'; see the module docstring)
EWC_LAMBDA = 50.0

#: options a user may shrink for tests; every other parameter is fixed to the authors' value
OVERRIDABLE = ("tasks", "train_samples", "test_samples", "epochs", "hidden", "seed")


def lateral_schedule(n_tasks: int, first=(80, 200, 100), inc=(70, 70, 70), dec: int = 20):
    """Lateral neurons added per layer at each task, as spiking_train_pmnist.py L175-247."""
    out, cur = [], list(inc)
    for t in range(int(n_tasks)):
        if t == 0:
            out.append(tuple(first))
            continue
        if t % 3 == 0:
            cur = [c - dec for c in cur]
        out.append(tuple(cur))
    return out


@dataclass
class PaperConfig:
    """The protocol's values: the authors' by default; see ``OVERRIDABLE``."""
    tasks: int = PAPER_PARAMS["tasks"][0]
    train_samples: int = PAPER_PARAMS["train_samples"][0]
    test_samples: int = PAPER_PARAMS["test_samples"][0]
    epochs: int = PAPER_PARAMS["epochs"][0]
    hidden: int = PAPER_PARAMS["hidden"][0]
    seed: int = PAPER_PARAMS["seed"][0]
    fixed: dict = field(default_factory=lambda: {k: v for k, (v, _) in PAPER_PARAMS.items()
                                                 if k not in OVERRIDABLE})

    def __post_init__(self):
        for name in ("tasks", "train_samples", "test_samples", "epochs", "hidden"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {v!r}")
        if self.tasks > 10:
            raise ValueError(f"tasks must be <= 10 (the authors' permuted MNIST), got {self.tasks}")

    def __getattr__(self, name):
        fixed = self.__dict__.get("fixed", {})
        if name in fixed:
            return fixed[name]
        raise AttributeError(name)

    def as_dict(self) -> dict:
        d = asdict(self)
        d.update(d.pop("fixed"))
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in d.items()}
