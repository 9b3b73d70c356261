# expect-fail: padding_invariance
# Attention is masked and the encoder is packed, but the decoder starts from the encoder's
# output at the last position, outputs[:, -1]: that is the real last state only for the
# longest phrase of a batch and zeros for the others, so a phrase starts from another state
# inside a padded batch than alone.
import random

import torch
from torch import nn


class Seq2Seq(nn.Module):
    """A GRU encoder over packed sequences and a GRU decoder with additive attention that is
    masked on the source's padding."""

    def __init__(self, src_vocab, tgt_vocab, hidden=128, pad_id=0):
        super().__init__()
        self.pad_id = pad_id
        self.src_embedding = nn.Embedding(src_vocab, hidden, padding_idx=pad_id)
        self.tgt_embedding = nn.Embedding(tgt_vocab, hidden, padding_idx=pad_id)
        self.encoder = nn.GRU(hidden, hidden, batch_first=True)
        self.decoder = nn.GRUCell(2 * hidden, hidden)
        self.query = nn.Linear(hidden, hidden, bias=False)
        self.key = nn.Linear(hidden, hidden)
        self.score = nn.Linear(hidden, 1, bias=False)
        self.out = nn.Linear(2 * hidden, tgt_vocab)

    def encode(self, src):
        mask = src != self.pad_id  # (N, S)
        lengths = mask.sum(dim=1).clamp(min=1).cpu()
        packed = nn.utils.rnn.pack_padded_sequence(
            self.src_embedding(src), lengths, batch_first=True, enforce_sorted=False
        )
        outputs, hidden = self.encoder(packed)
        outputs, _ = nn.utils.rnn.pad_packed_sequence(
            outputs, batch_first=True, total_length=src.shape[1]
        )
        return outputs, outputs[:, -1], mask  # "the last state": zeros for padded rows

    def step(self, token, hidden, outputs, keys, mask):
        scores = self.score(torch.tanh(keys + self.query(hidden)[:, None])).squeeze(2)
        weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=1)
        context = torch.bmm(weights[:, None], outputs).squeeze(1)
        hidden = self.decoder(torch.cat([self.tgt_embedding(token), context], dim=1), hidden)
        logits = self.out(torch.cat([hidden, context], dim=1))
        return logits, hidden, weights

    def decode(self, src, tgt, steps, teacher_forcing_ratio):
        """``steps`` decoder steps; step t consumes tgt[:, t] (or, when not forced, the
        previous step's prediction) and predicts tgt[:, t + 1]."""
        outputs, hidden, mask = self.encode(src)
        keys = self.key(outputs)
        logits_per_step, weights = [], []
        token = tgt[:, 0]
        for t in range(steps):
            logits, hidden, attention = self.step(token, hidden, outputs, keys, mask)
            logits_per_step.append(logits)
            weights.append(attention)
            if t + 1 < tgt.shape[1]:
                forced = random.random() < teacher_forcing_ratio  # noqa: S311
                token = tgt[:, t + 1] if forced else logits.argmax(dim=1)
        return logits_per_step, weights

    def forward(self, src, tgt, teacher_forcing_ratio=0.5):
        logits, _ = self.decode(src, tgt, tgt.shape[1] - 1, teacher_forcing_ratio)
        # outputs[:, t] predicts tgt[:, t]; position 0 (SOS) is not predicted: zeros there.
        first = torch.zeros(tgt.shape[0], self.out.out_features, device=tgt.device)
        return torch.stack([first, *logits], dim=1)

    def attention_weights(self, src, tgt):
        _, weights = self.decode(src, tgt, tgt.shape[1], 1.0)
        return torch.stack(weights, dim=1)


def translate(model, src_ids, max_len, sos_id, eos_id):
    model.eval()
    device = next(model.parameters()).device
    with torch.no_grad():
        src = torch.tensor([src_ids], dtype=torch.long, device=device)
        outputs, hidden, mask = model.encode(src)
        keys = model.key(outputs)
        token = torch.tensor([sos_id], device=device)
        result = []
        for _ in range(max_len):
            logits, hidden, _ = model.step(token, hidden, outputs, keys, mask)
            token = logits.argmax(dim=1)
            if token.item() == eos_id:
                break
            result.append(token.item())
    return result
