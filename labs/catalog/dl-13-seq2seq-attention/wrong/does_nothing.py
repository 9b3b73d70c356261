# expect-fail: translation, attention_rows, padding_invariance, shapes
# expect-score: 0
# Right shapes, no model: uniform attention over the phrase, zero logits, an empty translation.
import torch
from torch import nn


class Seq2Seq(nn.Module):
    def __init__(self, src_vocab, tgt_vocab, hidden=128, pad_id=0):
        super().__init__()
        self.tgt_vocab, self.pad_id = tgt_vocab, pad_id
        self.bias = nn.Parameter(torch.zeros(tgt_vocab))

    def forward(self, src, tgt, teacher_forcing_ratio=0.5):
        return self.bias.expand(tgt.shape[0], tgt.shape[1], self.tgt_vocab)

    def attention_weights(self, src, tgt):
        mask = (src != self.pad_id).float()
        weights = mask / mask.sum(dim=1, keepdim=True)
        return weights[:, None, :].expand(src.shape[0], tgt.shape[1], src.shape[1])


def translate(model, src_ids, max_len, sos_id, eos_id):
    return []
