"""``nn.Module``s only, one file per family."""

from gencore.models.linear_gaussian import LinearGaussian
from gencore.models.toy import MLPDiscriminator, MLPGenerator
from gencore.models.vae import VAE

__all__ = ["VAE", "LinearGaussian", "MLPGenerator", "MLPDiscriminator"]
