# expect-fail: save_model, load_model, predict, onnx_valid, onnx_dynamic_batch, onnx_matches_torch
# expect-score: 0
# Returns what it was given, or nothing: a do-nothing submission.


def save_model(model, path):
    open(path, "wb").close()


def load_model(path, model_factory):
    return model_factory()


def predict(model, x):
    return x[:, :3] * 0


def export_onnx(model, path, example_input):
    return None
