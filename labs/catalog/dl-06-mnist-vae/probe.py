"""Runs inside the sandbox, next to the learner's code: calls vae_loss on the grader's tensors,
checks forward's and sample's shapes, measures where the reconstruction's gradient goes in
training mode, and trains the learner's VAE with the grader's own Adam loop and loss on the
grader's images, recording the model's outputs for held-out images before and after. Every
value and loss that counts is computed by the judge, outside."""

import torch
import torch.nn.functional as F

_isinstance = isinstance
_type = type
_float = float
_tensor = torch.Tensor


def _t(array):
    return torch.from_numpy(array)


def _number(value):
    if _isinstance(value, _tensor):
        if value.numel() != 1:
            return None
        value = value.item()
    return _float(value)


def _grader_loss(recon, x, mu, logvar):
    bce = F.binary_cross_entropy(recon, x.reshape(len(x), -1), reduction="sum")
    return bce - 0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())


def _outputs(model, x):
    model.eval()
    with torch.no_grad():
        recon, mu, logvar = model(x)
    return {
        "recon": recon.detach().cpu().to(torch.float32),
        "mu": mu.detach().cpu().to(torch.float32),
        "logvar": logvar.detach().cpu().to(torch.float32),
    }


def _shapes(outputs):
    recon, mu, logvar = outputs
    return {
        "recon": list(recon.shape),
        "mu": list(mu.shape),
        "logvar": list(logvar.shape),
        "low": _float(recon.min()),
        "high": _float(recon.max()),
    }


def run(solution, observe, inputs):
    device = inputs["device"]
    torch.manual_seed(inputs["seed"])

    for name, cases in (("loss_values", "loss_cases"), ("loss_flat", "flat_cases")):
        with observe(name) as seen:
            seen.value = [
                _number(
                    solution.vae_loss(
                        _t(case["recon"]), _t(case["x"]), _t(case["mu"]), _t(case["logvar"])
                    )
                )
                for case in inputs[cases]
            ]

    with observe("shapes") as seen:
        x = _t(inputs["shape_x"])
        model = solution.VAE()
        model.eval()
        small = solution.VAE(latent_dim=8)
        small.eval()
        with torch.no_grad():
            seen.value = {
                "4d": _shapes(model(x)),
                "flat": _shapes(model(x.reshape(len(x), 784))),
                "latent8": _shapes(small(x)),
            }

    with observe("sample") as seen:
        model = solution.VAE()
        model.eval()
        with torch.no_grad():
            samples = model.sample(6)
        seen.value = {
            "shape": list(samples.shape),
            "low": _float(samples.min()),
            "high": _float(samples.max()),
            "varied": bool((samples - samples[:1]).abs().amax() > 1e-6),
        }

    with observe("gradients") as seen:
        model = solution.VAE()
        model.train()
        x = _t(inputs["heldout"][:16])
        params = [p for p in model.parameters() if p.requires_grad]
        recon, mu, logvar = model(x)
        latent = torch.autograd.grad(
            mu.sum() + logvar.sum(), params, allow_unused=True, retain_graph=True
        )
        encoder = [i for i, g in enumerate(latent) if g is not None and bool(g.abs().sum() > 0)]
        bce = F.binary_cross_entropy(recon, x.reshape(len(x), -1), reduction="sum")
        rec = torch.autograd.grad(bce, params, allow_unused=True)
        reached = [i for i in encoder if rec[i] is not None and bool(rec[i].abs().sum() > 0)]
        with torch.no_grad():
            first, second = model(x)[0], model(x)[0]
        seen.value = {
            "encoder": len(encoder),
            "reached": len(reached),
            "stochastic": not bool(torch.equal(first, second)),
        }

    with observe("training") as seen:
        heldout = _t(inputs["heldout"]).to(device)
        train = _t(inputs["train"]).to(torch.float32).div_(255.0)
        loader = torch.utils.data.DataLoader(
            torch.utils.data.TensorDataset(train),
            batch_size=inputs["batch"],
            shuffle=True,
            generator=torch.Generator().manual_seed(inputs["seed"]),
        )
        model = solution.VAE().to(device)
        before = _outputs(model, heldout)
        optimizer = torch.optim.Adam(model.parameters(), lr=inputs["learning_rate"])
        for _epoch in range(inputs["epochs"]):
            model.train()
            for (batch,) in loader:
                batch = batch.to(device)
                optimizer.zero_grad()
                recon, mu, logvar = model(batch)
                loss = _grader_loss(recon, batch, mu, logvar) / len(batch)
                loss.backward()
                optimizer.step()
        seen.value = {"before": before, "after": _outputs(model, heldout)}
