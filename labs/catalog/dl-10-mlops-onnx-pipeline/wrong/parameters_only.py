# expect-fail: save_model, onnx_valid, onnx_dynamic_batch
# A classic: saving only the parameters, so BatchNorm's running statistics are lost.
import torch


def save_model(model, path):
    torch.save(dict(model.named_parameters()), path)


def load_model(path, model_factory):
    model = model_factory()
    model.load_state_dict(torch.load(path, weights_only=True), strict=False)
    return model.eval()


def predict(model, x):
    model.eval()
    with torch.no_grad():
        return model(x)


def export_onnx(model, path, example_input):
    model.eval()
    torch.onnx.export(model, (example_input,), path, input_names=["input"],
                      dynamic_axes={"input": {0: "batch"}}, opset_version=17, dynamo=False)
