"""How each shipped model is built, trained and measured: one module per family.

- :mod:`~gencore.recipes.vae_mnist`: ``vae-mnist``;
- :mod:`~gencore.recipes.blur_mnist`: ``blur-mnist`` (AE, VAE, WAE-MMD, WAE-GAN, AEGAN);
- :mod:`~gencore.recipes.mnist_classifier`: ``mnist-classifier``;
- :mod:`~gencore.recipes.mnist_gans`: ``dcgan-mnist``, ``wgan-gp-mnist``;
- :mod:`~gencore.recipes.cyclegan_digits`: ``digit-classifier``, ``cyclegan-digits`` and its ablations;
- :mod:`~gencore.recipes.cyclegan_colour`: ``cyclegan-colour`` and its judges ``colour-domain-judge``,
  ``grey-digit-judge``, ``colour-digit-judge``;
- :mod:`~gencore.recipes.shapes_regressor`: ``shapes-regressor``;
- :mod:`~gencore.recipes.stylegan_shapes`: ``stylegan-shapes``;
- :mod:`~gencore.recipes.conditional_fonts`: ``font-recognizer``, ``cvae-fonts``, ``cgan-fonts``, ``cvae-gan-fonts``;
- :mod:`~gencore.recipes.ipgan_fonts`: ``font-factor-judge``, ``ipgan-fonts``.

A new family adds a module that calls :func:`register` and one import line below.
``train_recipe(name, **overrides)`` trains a variant in one call. A family's own measurements
are called from its module (``recipes.mnist_gans.generator_fid``, ``recipes.vae_mnist.heldout_elbo``);
nothing of a family is re-exported here.
"""

from gencore.recipes import (  # noqa: F401  (they register)
    blur_mnist,
    conditional_fonts,
    cyclegan_colour,
    cyclegan_digits,
    ipgan_fonts,
    mnist_classifier,
    mnist_gans,
    shapes_regressor,
    stylegan_shapes,
    vae_mnist,
)
from gencore.recipes.base import Recipe, Run, names, recipe, register, settings, train_recipe, with_overrides

__all__ = [
    "Recipe",
    "Run",
    "register",
    "recipe",
    "names",
    "settings",
    "with_overrides",
    "train_recipe",
]
