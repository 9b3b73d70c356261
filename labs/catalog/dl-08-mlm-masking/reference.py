import torch


def mask_tokens(
    input_ids,
    mask_token_id,
    vocab_size,
    mlm_probability=0.15,
    special_tokens_mask=None,
    generator=None,
):
    """BERT's masking: select tokens with probability mlm_probability (never special ones);
    of the selected, 80% become [MASK], 10% a random token, 10% stay; labels are the original
    ids of the selected tokens and -100 elsewhere. Every draw uses ``generator``."""
    device = input_ids.device
    inputs = input_ids.clone()
    labels = input_ids.clone()
    probability = torch.full(labels.shape, float(mlm_probability), device=device)
    if special_tokens_mask is not None:
        probability.masked_fill_(special_tokens_mask.to(device=device, dtype=torch.bool), 0.0)
    selected = torch.bernoulli(probability, generator=generator).bool()
    labels[~selected] = -100

    masked = torch.bernoulli(torch.full(labels.shape, 0.8, device=device), generator=generator)
    masked = masked.bool() & selected
    inputs[masked] = mask_token_id

    random = torch.bernoulli(torch.full(labels.shape, 0.5, device=device), generator=generator)
    random = random.bool() & selected & ~masked
    words = torch.randint(
        vocab_size, labels.shape, dtype=inputs.dtype, device=device, generator=generator
    )
    inputs[random] = words[random]
    return inputs, labels
