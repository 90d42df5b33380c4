"""The noisy cosine wave of the SimpleRNN tutorials."""

import numpy as np
from sklearn.utils import check_random_state


def make_cosine(n_samples=2000, *, step=0.1, noise=0.1, random_state=None):
    """Generate ``cos(x)`` sampled every ``step`` with Gaussian noise.

    Parameters
    ----------
    n_samples : int, default=2000
        Length of the series.
    step : float, default=0.1
        Distance in ``x`` between consecutive samples.
    noise : float, default=0.1
        Standard deviation of the added Gaussian noise; 0 gives a clean wave.
    random_state : int, RandomState instance or None, default=None
        Seeds the noise.

    Returns
    -------
    series : ndarray of shape (n_samples,)
        ``cos(step * arange(n_samples)) + noise``, float32.

    Examples
    --------
    >>> from sklrnn.datasets import make_cosine
    >>> make_cosine(4, noise=0.0).round(3)
    array([1.   , 0.995, 0.98 , 0.955], dtype=float32)
    """
    if n_samples < 1:
        raise ValueError(f"n_samples must be at least 1, got {n_samples}.")
    rng = check_random_state(random_state)
    x = step * np.arange(n_samples)
    return (np.cos(x) + noise * rng.standard_normal(n_samples)).astype(np.float32)
