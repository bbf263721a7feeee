"""Training the default flow weights from scratch on generated data (no downloads).

- :mod:`~flowpose.train.autoflow`: AutoFlow-style random layered scenes with exact flow.
- :mod:`~flowpose.train.human`: pairs rendered from mocap by :mod:`flowpose.synth`.
- :mod:`~flowpose.train.augment`: photometric jitter, crop, flip.
- :mod:`~flowpose.train.loss`: RAFT's sequence loss.
- :mod:`~flowpose.train.config`: the recipe (``TrainConfig``).
- :mod:`~flowpose.train.validation`: EPE on the held-out sets, and the score ``best.pt`` is chosen by.
- :mod:`~flowpose.train.trainer`: the resumable training loop (``train``).

Natural-image textures use scikit-image's bundled samples when the optional ``train`` extra is installed.
"""
