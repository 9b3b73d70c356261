# expect-fail: predict, onnx_valid, onnx_dynamic_batch
# Gradients off, but the model left in training mode: dropout still drops, BatchNorm uses the
# batch's statistics.
import torch


def save_model(model, path):
    torch.save(model.state_dict(), path)


def load_model(path, model_factory):
    model = model_factory()
    model.load_state_dict(torch.load(path, weights_only=True))
    return model.eval()


def predict(model, x):
    with torch.no_grad():
        return model(x)


def export_onnx(model, path, example_input):
    model.eval()
    torch.onnx.export(model, (example_input,), path, input_names=["input"],
                      dynamic_axes={"input": {0: "batch"}}, opset_version=17, dynamo=False)
