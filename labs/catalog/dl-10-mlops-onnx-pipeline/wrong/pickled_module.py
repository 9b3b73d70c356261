# expect-fail: save_model, load_model, onnx_valid, onnx_dynamic_batch
import torch


def save_model(model, path):
    torch.save(model, path)  # the whole module, pickled


def load_model(path, model_factory):
    model = torch.load(path, weights_only=False)
    model.eval()
    return model


def predict(model, x):
    model.eval()
    with torch.no_grad():
        return model(x)


def export_onnx(model, path, example_input):
    model.eval()
    torch.onnx.export(model, (example_input,), path, input_names=["input"],
                      dynamic_axes={"input": {0: "batch"}}, opset_version=17, dynamo=False)
