"""Runs inside the sandbox: trains the learner's GAN on each of the grader's two target
distributions through the learner's train_gan (seeded per job), samples the returned
generator as G(torch.randn(n, latent_dim)) and records the samples, plus the shapes of fresh
Generator and Discriminator outputs and how often train_gan ran each network. The targets'
means and deviations are compared with the samples by the judge, outside."""

import torch

# Bound before the learner's module is imported (the runner loads this module first).
_isinstance = isinstance
_tensor = torch.Tensor
_type = type
_manual_seed = torch.manual_seed
_randn = torch.randn
_counts = {"Generator": 0, "Discriminator": 0}


def _count(cls, name):
    """Count the calls of cls.forward (the learner's class) while train_gan runs."""
    original = getattr(cls, "forward", None)
    if original is None:  # no such class: the tests that need it say so
        return

    def forward(self, *args, **kwargs):
        _counts[name] += 1
        return original(self, *args, **kwargs)

    cls.forward = forward


def _shape(value):
    return list(value.shape) if _isinstance(value, _tensor) else _type(value).__name__


def run(solution, observe, inputs):
    device = inputs["device"]
    latent = inputs["latent_dim"]

    with observe("shapes") as seen:
        _manual_seed(inputs["seed"])
        generator = solution.Generator().to(device)
        discriminator = solution.Discriminator().to(device)
        with torch.no_grad():
            seen.value = {
                "generator": _shape(generator(_randn(7, latent).to(device))),
                "discriminator": _shape(discriminator(_randn(7, 1).to(device))),
            }

    for name in ("Generator", "Discriminator"):
        _count(getattr(solution, name, None), name)
    for index, target in enumerate(inputs["targets"]):
        with observe(f"target_{index}") as seen:
            data = torch.Generator().manual_seed(target["data_seed"])

            def sample_real(n, target=target, data=data):
                x = _randn(int(n), 1, generator=data) * target["std"] + target["mean"]
                return x.to(device)

            _manual_seed(inputs["seed"] + index)
            before = dict(_counts)
            model = solution.train_gan(
                sample_real, steps=inputs["steps"], latent_dim=latent, device=device
            )
            calls = {key: _counts[key] - before[key] for key in _counts}
            noise = torch.Generator().manual_seed(target["noise_seed"])
            z = _randn(inputs["samples"], latent, generator=noise).to(device)
            with torch.no_grad():
                samples = model(z)
            seen.value = {
                "shape": _shape(samples),
                "samples": samples.detach().cpu().to(torch.float64).reshape(-1)
                if _isinstance(samples, _tensor)
                else None,
                "calls": calls,
            }
