# expect-fail: additivity, shap_values, model_quality, top_features, xgb_type
# expect-score: 0
# Constant answers of the right shapes: a do-nothing submission.
import numpy as np


def train_model(X, y):
    return None


def explain(model, X):
    return np.zeros_like(X)


def top_features(shap_values, feature_names, k):
    return list(feature_names[:k])
