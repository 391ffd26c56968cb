"""Losses and phases of the conditional generators of ``book/conditional.ipynb``: CGAN, CVAE, CVAE-GAN, IP-GAN.

With x a real image of class c, z ~ N(0, I), G(z, c) the generator, D the
discriminator and f_D its last hidden layer, C the classifier and f_C its features,
q(z | x, c) = N(μ, diag σ²) the encoder (Eq. numbers are the chapter's):

    CGAN      min_D −E log D(x, c) − E log(1 − D(G(z, c), c));   min_G −E log D(G(z, c), c)   (cond-cgan)
    CVAE      min −E_q log p(x | z, c) + KL(q(z | x, c) ‖ N(0, I))                          (cond-cvae)
    CVAE-GAN  min_D −E log D(x) − E log(1 − D(x')) − E log(1 − D(x_p)),  x' = G(E(x, c), c), x_p = G(z, c)
              min_C −E log P(c | x)  (real images only)
              min_{E,G} λ_KL L_KL + λ_G L_G + λ_GD L_GD + λ_GC L_GC, with                     (cond-cvaegan)
                  L_G  = ½ (‖x − x'‖² + ‖f_D(x) − f_D(x')‖² + ‖f_C(x) − f_C(x')‖²)        pairwise
                  L_GD = ½ ‖E f_D(x) − E f_D(x_p)‖²                                        feature centres
                  L_GC = ½ (1/|c|) Σ_c ‖E[f_C(x) | c] − E[f_C(x_p) | c]‖²                  class-wise centres

CVAE-GAN's training is asymmetric (Bao et al., 2017): D keeps its cross-entropy, while G
never sees log D; it matches the mean of D's features, whose gradient does not vanish when
D separates real from fake perfectly (Eq. (cond-centre-grad) of the chapter).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from gencore import frozen, module_device
from gencore.losses import gan_losses, gaussian_kl
from gencore.train.loop import Phase


def feature_centre_loss(real_features: torch.Tensor, fake_features: torch.Tensor) -> torch.Tensor:
    """L_GD = ½ ‖mean_i f(x_i) − mean_j f(G(z_j))‖² of features ``(N, d)`` and ``(M, d)``: a scalar."""
    if real_features.ndim != 2 or fake_features.ndim != 2 or real_features.shape[1] != fake_features.shape[1]:
        raise ValueError(
            f"feature_centre_loss needs two (N, d) feature batches of one width, got "
            f"{tuple(real_features.shape)} and {tuple(fake_features.shape)}"
        )
    return 0.5 * (real_features.mean(0) - fake_features.mean(0)).pow(2).sum()


def classwise_centre_loss(centres: torch.Tensor, fake_features: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """L_GC = ½ (1/|c|) Σ_c ‖centres[c] − mean of fake features of class c‖² over the classes present in ``labels``.

    ``centres`` (K, d): the real class centres E[f_C(x) | c]; ``fake_features`` (N, d)
    of generated images whose classes are ``labels`` (N,).
    """
    if centres.ndim != 2 or fake_features.ndim != 2 or centres.shape[1] != fake_features.shape[1]:
        shapes = f"{tuple(centres.shape)} and {tuple(fake_features.shape)}"
        raise ValueError(f"classwise_centre_loss needs centres (K, d) and features (N, d) of one width, got {shapes}")
    present, inverse = torch.unique(labels, return_inverse=True)
    sums = torch.zeros(len(present), fake_features.shape[1], device=fake_features.device, dtype=fake_features.dtype)
    sums = sums.index_add(0, inverse, fake_features)
    counts = torch.bincount(inverse, minlength=len(present)).to(fake_features.dtype)[:, None]
    return 0.5 * (centres[present] - sums / counts).pow(2).sum(1).mean()


def pixel_bce(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """−log p(x | z, c) of the Bernoulli decoder: cross-entropy of (x + 1)/2, summed over pixels, (N,)."""
    return F.binary_cross_entropy_with_logits(logits, (x + 1) / 2, reduction="none").flatten(1).sum(1)


def _fakes(generator, labels: torch.Tensor) -> torch.Tensor:
    dev = module_device(generator)
    return generator(torch.randn(len(labels), generator.latent_dim, device=dev), labels)


def cgan_phases(generator, discriminator, opt_g, opt_d) -> list[Phase]:
    """Eq. (cond-cgan), Mirza & Osindero (2014), with the non-saturating G loss. Reads ``(x, c)`` batches.

    The discriminator sees the class with the image; fakes are drawn for the classes of
    the real batch, so D cannot tell them apart by class frequency.
    """
    d_loss_fn, g_loss_fn = gan_losses("nonsaturating")
    dev = module_device(generator)
    last = [None]

    def critic(batch) -> dict[str, float]:
        x, c = batch[0].to(dev), batch[1].to(dev)
        last[0] = c
        with torch.no_grad():
            fake = _fakes(generator, c)
        loss = d_loss_fn(discriminator(x, c), discriminator(fake, c))
        opt_d.zero_grad(set_to_none=True)
        loss.backward()
        opt_d.step()
        return {"d_loss": loss.item()}

    def gen(_: None) -> dict[str, float]:
        c = last[0]
        with frozen(discriminator):
            loss = g_loss_fn(discriminator(_fakes(generator, c), c))
            opt_g.zero_grad(set_to_none=True)
            loss.backward()
        opt_g.step()
        return {"g_loss": loss.item()}

    return [Phase("critic", critic), Phase("generator", gen, takes_batch=False)]


def cvae_phase(encoder, generator, optimizer, *, beta: float = 1.0) -> Phase:
    """Eq. (cond-cvae), Sohn et al. (2015): one step on −ELBO(x | c) = BCE(x, G(z, c)) + β KL, z ~ q(z | x, c)."""
    dev = module_device(generator)

    def update(batch) -> dict[str, float]:
        x, c = batch[0].to(dev), batch[1].to(dev)
        mu, log_var = encoder(x, c)
        z = mu + torch.randn_like(mu) * (0.5 * log_var).exp()  # reparameterization
        recon, kl = pixel_bce(generator.logits(z, c), x), gaussian_kl(mu, log_var)
        loss = (recon + beta * kl).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return {"loss": loss.item(), "recon": recon.mean().item(), "kl": kl.mean().item()}

    return Phase("cvae", update)


def cvae_gan_phases(
    encoder,
    generator,
    discriminator,
    classifier,
    opt_eg,
    opt_d,
    opt_c,
    *,
    weights: dict[str, float],
    centre_momentum: float = 0.9,
) -> list[Phase]:
    """Eq. (cond-cvaegan), Bao et al. (2017): the D, C and E+G steps on one ``(x, c)`` batch.

    ``weights`` holds λ_KL, λ_G, λ_GD, λ_GC under ``kl``, ``pair``, ``centre_d``,
    ``centre_c``. The real class centres E[f_C(x) | c] are running averages (momentum
    ``centre_momentum``) of C's features of the real images of each class, updated
    at every step: a batch holds about one image of each class, too few for a centre.
    """
    missing = {"kl", "pair", "centre_d", "centre_c"} - set(weights)
    if missing:
        raise ValueError(f"cvae_gan_phases needs weights kl, pair, centre_d, centre_c; missing {sorted(missing)}")
    d_loss_fn, _ = gan_losses("minimax")
    dev = module_device(generator)
    centres = torch.zeros(classifier.classes, classifier.feature_dim, device=dev)
    seen = torch.zeros(classifier.classes, dtype=torch.bool, device=dev)
    state: dict = {}

    def d_step(batch) -> dict[str, float]:
        x, c = batch[0].to(dev), batch[1].to(dev)
        state["x"], state["c"] = x, c
        with torch.no_grad():
            mu, log_var = encoder(x, c)
            z = mu + torch.randn_like(mu) * (0.5 * log_var).exp()
            fakes = generator(torch.cat([z, torch.randn_like(z)]), torch.cat([c, c]))
        real_s, fake_s = discriminator(x), discriminator(fakes)
        loss = d_loss_fn(real_s, fake_s)
        opt_d.zero_grad(set_to_none=True)
        loss.backward()
        opt_d.step()
        return {"d_loss": loss.item()}

    def c_step(_: None) -> dict[str, float]:
        x, c = state["x"], state["c"]
        loss = F.cross_entropy(classifier(x), c)
        opt_c.zero_grad(set_to_none=True)
        loss.backward()
        opt_c.step()
        with torch.no_grad():  # running real class centres, for the classes of this batch
            f = classifier.features(x)
            present, inverse = torch.unique(c, return_inverse=True)
            means = torch.zeros(len(present), f.shape[1], device=dev).index_add(0, inverse, f)
            means /= torch.bincount(inverse, minlength=len(present)).to(f.dtype)[:, None]
            old = torch.where(seen[present, None], centres[present], means)
            centres[present] = centre_momentum * old + (1 - centre_momentum) * means
            seen[present] = True
        return {"c_loss": loss.item()}

    def eg_step(_: None) -> dict[str, float]:
        x, c = state["x"], state["c"]
        with frozen(discriminator, classifier):
            mu, log_var = encoder(x, c)
            z = mu + torch.randn_like(mu) * (0.5 * log_var).exp()
            both = generator(torch.cat([z, torch.randn_like(z)]), torch.cat([c, c]))
            recon, sample = both[: len(x)], both[len(x) :]
            fd_real, fd_recon, fd_sample = discriminator.features(torch.cat([x, recon, sample])).split(len(x))
            fc_real, fc_recon, fc_sample = classifier.features(torch.cat([x, recon, sample])).split(len(x))
            kl = gaussian_kl(mu, log_var).mean()
            pair = (
                0.5
                * (
                    (x - recon).pow(2).flatten(1).sum(1)
                    + (fd_real.detach() - fd_recon).pow(2).sum(1)
                    + (fc_real.detach() - fc_recon).pow(2).sum(1)
                ).mean()
            )
            centre_d = feature_centre_loss(fd_real.detach(), fd_sample)
            centre_c = classwise_centre_loss(centres, fc_sample, c)
            loss = (
                weights["kl"] * kl
                + weights["pair"] * pair
                + weights["centre_d"] * centre_d
                + weights["centre_c"] * centre_c
            )
            opt_eg.zero_grad(set_to_none=True)
            loss.backward()
        opt_eg.step()
        return {"kl": kl.item(), "pair": pair.item(), "centre_d": centre_d.item(), "centre_c": centre_c.item()}

    return [
        Phase("discriminator", d_step),
        Phase("classifier", c_step, takes_batch=False),
        Phase("encoder+generator", eg_step, takes_batch=False),
    ]


def ipgan_phases(
    identity,
    attributes,
    generator,
    discriminator,
    opt_ag,
    opt_d,
    *,
    centres: torch.Tensor,
    weights: dict[str, float],
) -> list[Phase]:
    """IP-GAN, Bao et al. (2018), Eq. (cond-ipgan-rec): the D and A+G steps on one batch ``(x^a, c^a, x^s, c^s)``.

    ``identity`` is the network I, already trained with softmax on the training identities
    and frozen here: its features f_I(x^s) are G's identity input, and its class centres
    ``centres`` (K, d) = E[f_I(x) | c] of the real training images are what G's images of
    identity c^s must match (class-wise feature centres, :func:`classwise_centre_loss`).
    ``weights`` holds λ (``lambda``, the reconstruction weight of pairs of different
    identities), λ_KL (``kl``), λ_GD (``centre_d``) and λ_GC (``centre_c``). With
    x' = G(f_I(x^s), z_a), z_a ~ q(z | x^a):

        L_D  = −E log D(x^a) − E log(1 − D(x'))
        L_AG = λ_KL KL(q(z | x^a) ‖ N(0, I)) + w ½‖x^a − x'‖² + λ_GD L_GD + λ_GC L_GC,
               w = 1 if c^s = c^a else λ,
               L_GD = ½‖E f_D(x^a) − E f_D(x')‖²,  L_GC = ½ (1/|c|) Σ_c ‖centres[c] − E[f_I(x') | c^s = c]‖²
    """
    missing = {"lambda", "kl", "centre_d", "centre_c"} - set(weights)
    if missing:
        raise ValueError(f"ipgan_phases needs weights lambda, kl, centre_d, centre_c; missing {sorted(missing)}")
    if centres.ndim != 2 or centres.shape[1] != generator.identity_dim:
        raise ValueError(
            f"centres must be the identities' feature centres ({generator.identity_dim} wide), "
            f"got {tuple(centres.shape)}"
        )
    d_loss_fn, _ = gan_losses("minimax")
    dev = module_device(generator)
    centres = centres.to(dev)
    identity.eval()  # fixed: dropout off, features deterministic
    state: dict = {}

    def mix(x_a, x_s):
        with torch.no_grad():
            f_s = identity.features(x_s)
        mu, log_var = attributes(x_a)
        z = mu + torch.randn_like(mu) * (0.5 * log_var).exp()  # reparameterization
        return generator(f_s, z), mu, log_var

    def d_step(batch) -> dict[str, float]:
        x_a, c_a, x_s, c_s = (t.to(dev) for t in batch[:4])
        state.update(x_a=x_a, c_a=c_a, x_s=x_s, c_s=c_s)
        with torch.no_grad():
            fake = mix(x_a, x_s)[0]
        loss = d_loss_fn(discriminator(x_a), discriminator(fake))
        opt_d.zero_grad(set_to_none=True)
        loss.backward()
        opt_d.step()
        return {"d_loss": loss.item()}

    def ag_step(_: None) -> dict[str, float]:
        x_a, c_a, x_s, c_s = (state[k] for k in ("x_a", "c_a", "x_s", "c_s"))
        with frozen(discriminator, identity):
            fake, mu, log_var = mix(x_a, x_s)
            same = (c_s == c_a).to(fake.dtype)
            w = same + weights["lambda"] * (1 - same)
            rec = (0.5 * w * (x_a - fake).pow(2).flatten(1).sum(1)).mean()
            kl = gaussian_kl(mu, log_var).mean()
            fd_real, fd_fake = discriminator.features(torch.cat([x_a, fake])).split(len(x_a))
            centre_d = feature_centre_loss(fd_real.detach(), fd_fake)
            centre_c = classwise_centre_loss(centres, identity.features(fake), c_s)
            loss = rec + weights["kl"] * kl + weights["centre_d"] * centre_d + weights["centre_c"] * centre_c
            opt_ag.zero_grad(set_to_none=True)
            loss.backward()
        opt_ag.step()
        return {"rec": rec.item(), "kl": kl.item(), "centre_d": centre_d.item(), "centre_c": centre_c.item()}

    return [Phase("discriminator", d_step), Phase("attributes+generator", ag_step, takes_batch=False)]
