"""The clean step of the autoencoder lab: grader code only, in a sandbox of its own. It runs the
encoder and the decoder that the learner's model was traced into (``handoff/encode.onnx``,
``handoff/decode.onnx``) on held-out images that never entered the learner's sandbox: the
decoder gets only the codes the encoder made. It reports the codes' shape and the
reconstructions; the judge computes the error outside. The grid images' reconstructions are
reported too, to compare with the learner's picture.

No learner code runs here: the ONNX files are data, run by onnxruntime."""

import os

import numpy as np
import onnxruntime


def _session(path):
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def _reconstruct(encode, decode, images):
    x = np.ascontiguousarray(images.astype(np.float32) / np.float32(255.0))
    codes = encode.run(None, {encode.get_inputs()[0].name: x})[0]
    recon = decode.run(None, {decode.get_inputs()[0].name: np.asarray(codes, np.float32)})[0]
    return np.asarray(codes), np.asarray(recon, dtype=np.float32)


def run(observe, inputs, handoff):
    paths = [os.path.join(handoff, name) for name in ("encode.onnx", "decode.onnx")]
    if not all(os.path.exists(path) for path in paths):
        for name in ("reconstructions", "grid_reconstructions"):
            with observe(name) as seen:
                seen.value = {"problem": "missing"}
        return
    encode, decode = (_session(path) for path in paths)

    with observe("reconstructions") as seen:
        codes, recon = _reconstruct(encode, decode, inputs["heldout"])
        seen.value = {"codes_shape": list(codes.shape), "values": recon}

    with observe("grid_reconstructions") as seen:
        # The traced graphs may have the batch size built in: the grid's images are padded
        # to the held-out batch's size with blank images.
        count = len(inputs["grid_images"])
        batch = np.zeros_like(inputs["heldout"])
        batch[:count] = inputs["grid_images"]
        _codes, recon = _reconstruct(encode, decode, batch)
        seen.value = {"values": recon[:count]}
